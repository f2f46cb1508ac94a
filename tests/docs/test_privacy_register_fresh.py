"""docs/privacy.md, the register of processing, is what the code declares: every service's inventory, the console's
files, the programmes' retention periods and the topics' retention. Regenerate it with `make docs`."""

from __future__ import annotations

from guichet_deploy.privacy_register import DOCUMENT, INVENTORY_MODULES, ROOT, inventories, render
from guichet_programme import load_programmes


def test_every_service_and_the_console_declare_an_inventory() -> None:
    # MissingInventory names each module missing: a service without one would leave the register short, silently.
    declared = {inventory.service for inventory in inventories()}
    assert declared == set(INVENTORY_MODULES), (
        f"inventories named {sorted(declared)}, expected {sorted(INVENTORY_MODULES)}"
    )


def test_the_committed_register_is_the_codes() -> None:
    assert DOCUMENT.exists(), "docs/privacy.md is missing: run `make docs`"
    expected = render(inventories(), load_programmes(ROOT / "programmes"))
    assert DOCUMENT.read_text(encoding="utf-8") == expected, "docs/privacy.md is stale: run `make docs`"


def test_the_register_gives_every_programmes_periods_and_the_topics_retention() -> None:
    text = DOCUMENT.read_text(encoding="utf-8")
    for programme in load_programmes(ROOT / "programmes").values():
        assert f"| {programme.id} | {programme.retention.contact_months_after_final} |" in text
    assert "`claims.submitted.v1` | 14 days" in text and "Transfers outside the European Union: none." in text
    assert "## Logs and files" in text
