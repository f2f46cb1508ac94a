"""`guichet finance suspense`: the list reads payments' suspense (read-only, IBANs masked); settle and discard are
set-aside decisions on the entry (kind `bank_entry`), posted to the back-office like `guichet set-aside
release|cancel`, never a database write. The back-office is faked on a local port (see
test_write_commands_backoffice); the list runs on a real payments database."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import asyncpg
import pytest
from typer.testing import CliRunner

from guichet_console import cli

from .test_write_commands_backoffice import TOKEN, backoffice, decision, invoke  # noqa: F401  (the fixture)

ENTRY = "0a1b2c3d4e5f6a7b-2"
RELEASE = f"/api/v1/set-aside/payments/bank_entry/{ENTRY}/release"
CANCEL = f"/api/v1/set-aside/payments/bank_entry/{ENTRY}/cancel"


def test_settle_to_an_attempt_posts_the_release_with_assign_to(backoffice) -> None:  # noqa: F811
    answer = decision("set_aside_release", ENTRY, "complete", service="payments", kind="bank_entry")
    backoffice.answers[("POST", RELEASE)] = (200, answer)
    result = invoke("finance", "suspense", "settle", ENTRY, "--to", "P0123:2", "--reason", "retour du P0123")
    assert result.exit_code == 0, result.output
    assert backoffice.seen == [
        ("POST", RELEASE, f"Bearer {TOKEN}", {"reason": "retour du P0123", "assign_to": "P0123:2"})
    ]
    assert f"command {answer['command_id']} sent to payments" in result.output


def test_settle_without_an_attempt_and_discard_post_what_set_aside_would(backoffice) -> None:  # noqa: F811
    backoffice.answers[("POST", RELEASE)] = (200, decision("set_aside_release", ENTRY, "complete", service="payments"))
    backoffice.answers[("POST", CANCEL)] = (200, decision("set_aside_cancel", ENTRY, "complete", service="payments"))
    assert invoke("finance", "suspense", "settle", ENTRY, "--reason", "EndToEndId corrigé").exit_code == 0
    discarded = invoke("finance", "suspense", "discard", ENTRY, "--reason", "frais bancaires", "--json")
    assert discarded.exit_code == 0 and json.loads(discarded.stdout)["action"] == "set_aside_cancel"
    assert [(path, body) for _, path, _, body in backoffice.seen] == [
        (RELEASE, {"reason": "EndToEndId corrigé"}),
        (CANCEL, {"reason": "frais bancaires"}),
    ]


def test_a_refusal_of_the_back_office_is_shown_and_exits_1(backoffice) -> None:  # noqa: F811
    backoffice.answers[("POST", RELEASE)] = (400, {"error": "La tentative se désigne par <paiement>:<numéro>."})
    refused = invoke("finance", "suspense", "settle", ENTRY, "--to", "P0123", "--reason", "x")
    assert refused.exit_code == 1 and "refused" in refused.output


@pytest.mark.integration
async def test_the_list_shows_the_open_suspense_with_its_accounts_masked(
    payments_pool: asyncpg.Pool, database_urls: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = "ab" * 32
    await payments_pool.execute(
        "INSERT INTO bank_files (file_sha256, file_name, message, outcome, entry_count, received_at)"
        " VALUES ($1, 'camt054-0312.xml', 'camt.054.001.02', 'imported', 2, $2)",
        sha,
        dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC),
    )
    await payments_pool.execute(
        "INSERT INTO bank_entries (entry_id, file_sha256, entry_index, effect, amount_cents, iban, reason_code, state,"
        " suspense_reason) VALUES ($1, $2, 0, 'returned', 50000, 'FR7630006000011234567890189', 'AC04', 'suspense',"
        " 'no attempt in a file has this amount, account and remittance'),"
        " ($3, $2, 1, 'booked', 20000, NULL, NULL, 'reported', NULL)",
        ENTRY,
        sha,
        "ab" * 8 + "-1",
    )
    monkeypatch.setenv("PAYMENTS_DATABASE_URL", database_urls["payments"])
    shown = await asyncio.to_thread(CliRunner().invoke, cli.app, ["finance", "suspense", "--json"])
    assert shown.exit_code == 0, shown.output
    [entry] = json.loads(shown.stdout)["entries"]
    assert (entry["entry_id"], entry["effect"], entry["amount_cents"], entry["reason_code"]) == (
        ENTRY,
        "returned",
        50000,
        "AC04",
    )
    assert "1234567890189" not in shown.stdout and entry["iban_masked"].endswith("0189")
    table = await asyncio.to_thread(CliRunner().invoke, cli.app, ["finance", "suspense"], env={"COLUMNS": "250"})
    assert table.exit_code == 0 and "1 bank entry in suspense" in table.output and "500.00" in table.output
