"""A person at the back-office in the browser: signing in through the sign-in form as a person would, and the
form requests that the tests send by hand (with or without the page's CSRF token)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.async_api import BrowserContext, Page, expect

SIGN_IN_PATH = "/connexion"


def path_of(url: str) -> str:
    return urlsplit(url).path


async def sign_in(context: BrowserContext, base_url: str, login: str, password: str) -> Page:
    """Open the sign-in page, type the login and password, submit: the page the back-office lands on."""
    page = await context.new_page()
    await page.goto(base_url + SIGN_IN_PATH)
    await page.get_by_label("Identifiant").fill(login)
    await page.get_by_label("Mot de passe").fill(password)
    async with page.expect_navigation():
        await page.get_by_role("button", name=re.compile("Se connecter")).click()
    assert path_of(page.url) != SIGN_IN_PATH, f"sign-in of {login} refused:\n{await page.inner_text('main')}"
    await expect(page.get_by_text(login)).to_be_visible()
    return page


async def csrf_token(page: Page) -> str:
    """The CSRF token the current page's forms carry (every form carries the session's one)."""
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token, f"no CSRF field on {page.url}"
    return token
