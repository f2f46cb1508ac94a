"""The back-office in real headless Chromium: the session's stack (root conftest) with the back-office running as
a process beside the four services, one account per role, and a browser with axe-core in every page.

pytest runs with `--import-mode=importlib`, so this folder is not on sys.path: it is put there once, for the
helper modules `browser_*.py` (named so that they clash with no other folder's modules)."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_axe import add_axe

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("caseworker", "supervisor", "finance", "auditor", "admin")
# Debian's chromium (.ci/run installs it): Playwright never downloads a browser of its own here.
CHROMIUM = os.environ.get("GUICHET_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@dataclass(frozen=True)
class Backoffice:
    url: str
    database_url: str
    passwords: dict[str, str]  # role -> password of the account `browser-<role>`

    def login(self, role: str) -> str:
        return f"browser-{role}"


@pytest.fixture(scope="module")
async def backoffice_process(stack) -> tuple[str, str]:
    """(base URL, database URL) of the session's stack's own back-office, once it is ready."""
    return await stack.until_ready("backoffice"), stack.database_urls["backoffice"]


@pytest.fixture(scope="module")
async def backoffice(backoffice_process: tuple[str, str]) -> Backoffice:
    """The back-office with one active account per role, each with a password of its own."""
    import asyncpg

    from guichet_backoffice import accounts

    url, database_url = backoffice_process
    passwords = {}
    connection = await asyncpg.connect(database_url)
    try:
        for role in ROLES:
            login, passwords[role] = f"browser-{role}", f"Mot-de-passe-{role}-{os.urandom(6).hex()}"
            async with connection.transaction():
                # As `guichet users add` (or, for an account an earlier test module made on the session's stack,
                # `guichet users reset-password`) then the owner's first sign-in: a one-time password, replaced.
                if await accounts.find(connection, login) is None:
                    one_time = await accounts.add(connection, login, role, by="browser-tests")
                else:
                    one_time = await accounts.reset_password(connection, login, by="browser-tests")
                await accounts.change_password(connection, login, one_time, passwords[role])
    finally:
        await connection.close()
    return Backoffice(url, database_url, passwords)


@pytest.fixture(scope="module")
async def browser():
    """Headless Debian chromium driven by Playwright; a new context per person keeps their cookies apart."""
    from playwright.async_api import async_playwright

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise AssertionError(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def new_context(browser):
    """`await new_context()`: a fresh browser context (its own cookies) with axe-core in every page."""
    opened = []

    async def make():
        context = await browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        await add_axe(context)
        opened.append(context)
        return context

    yield make
    for context in opened:
        await context.close()
