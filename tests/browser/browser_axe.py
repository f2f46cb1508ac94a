"""axe-core in the page under test: the vendored `vendor/axe.min.js` is added to every page of a browser context
(before the page's own scripts, through the DevTools protocol, so a strict Content-Security-Policy does not block
it), then `axe.run()` reports what a person using assistive technology would stumble on.

Only violations of impact serious or critical fail a test: moderate and minor ones are printed, not enforced."""

from __future__ import annotations

import hashlib
from pathlib import Path

from playwright.async_api import BrowserContext, Page

AXE_SCRIPT = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"  # vendor/SOURCE.md
BLOCKING = frozenset({"serious", "critical"})
# WCAG 2.1 A and AA, what RGAA 4 follows, plus axe's best practices (landmarks, one h1, regions).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_source() -> str:
    content = AXE_SCRIPT.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    assert digest == AXE_SHA256, f"{AXE_SCRIPT} changed (sha256 {digest}): see vendor/SOURCE.md"
    return content.decode("utf-8")


async def add_axe(context: BrowserContext) -> None:
    """Make `window.axe` available on every page this context opens."""
    await context.add_init_script(script=axe_source())


async def violations(page: Page) -> list[dict]:
    """axe's violations on the page as it is now."""
    result = await page.evaluate(
        "tags => window.axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        TAGS,
    )
    return list(result["violations"])


def describe(found: list[dict]) -> str:
    """One paragraph per violation: rule, impact, help, and the first few elements it names."""
    lines = []
    for violation in found:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1:]}")
            lines.append(f"      {node['html'][:200]}")
    return "\n".join(lines)


async def assert_accessible(page: Page) -> None:
    """Fail on any serious or critical axe violation of the page; print the lesser ones."""
    found = await violations(page)
    blocking = [v for v in found if v["impact"] in BLOCKING]
    others = [v for v in found if v["impact"] not in BLOCKING]
    if others:
        print(f"axe, not blocking, on {page.url}:\n{describe(others)}")
    assert not blocking, f"axe found serious or critical violations on {page.url}:\n{describe(blocking)}"
