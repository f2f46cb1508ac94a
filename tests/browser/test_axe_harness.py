"""The accessibility check itself, on pages of known quality served to the browser (no stack): it must fail a page
with serious or critical violations, pass a sound one, and still run under a Content-Security-Policy that forbids
every script, as the back-office's pages may send."""

from __future__ import annotations

import pytest
from browser_axe import assert_accessible, violations

pytestmark = pytest.mark.e2e

ORIGIN = "http://pages.test"
SOUND = """<!DOCTYPE html><html lang="fr"><head><title>Page correcte</title></head>
<body><header><p>Guichet</p></header><main><h1>Demandes</h1>
<form><label for="q">Recherche</label><input id="q" name="q"><button type="submit">Chercher</button></form>
<img src="data:," alt="Logo"></main></body></html>"""
BROKEN = """<!DOCTYPE html><html><body><main>
<img src="data:,"><button></button><input name="q"></main></body></html>"""
STRICT_CSP = "default-src 'none'; script-src 'none'; style-src 'none'"


async def open_page(new_context, html: str, csp: str | None = None):
    """A page served at ORIGIN with `html` (and the CSP header when given)."""
    context = await new_context()
    page = await context.new_page()
    headers = {"content-type": "text/html; charset=utf-8"} | ({"content-security-policy": csp} if csp else {})
    await page.route(f"{ORIGIN}/**", lambda route: route.fulfill(status=200, headers=headers, body=html))
    await page.goto(f"{ORIGIN}/page")
    return page


async def test_a_page_with_serious_violations_fails_and_names_them(new_context) -> None:
    page = await open_page(new_context, BROKEN)
    with pytest.raises(AssertionError) as failure:
        await assert_accessible(page)
    for rule in ("image-alt", "button-name", "label", "html-has-lang", "document-title"):
        assert rule in str(failure.value), rule


async def test_a_sound_page_passes(new_context) -> None:
    await assert_accessible(await open_page(new_context, SOUND))


async def test_axe_runs_under_a_csp_that_forbids_every_script(new_context) -> None:
    page = await open_page(new_context, BROKEN, csp=STRICT_CSP)
    found = {violation["id"] for violation in await violations(page)}
    assert {"image-alt", "button-name"} <= found
