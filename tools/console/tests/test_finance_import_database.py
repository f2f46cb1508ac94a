"""`guichet finance import` against a real payments database: the file lands whole in PAYMENTS_INBOUND_DIR and the
console reads payments' verdict with `operators.bank_file`. Payments' importer is played by a task that records a
verdict for each file it finds in the folder, in payments' own tables (the real importer's tests are in
services/payments/tests and tests/e2e)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner

from guichet_console import cli

pytestmark = pytest.mark.integration
AT = dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC)
REFUSAL = "bad.xml: Document/BkToCstmrDbtCdtNtfctn/GrpHdr/MsgId: missing"


async def record_verdict(pool: asyncpg.Pool, path: Path) -> None:
    """What payments' importer writes: a refused file alone, or an imported one with its entries' states."""
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    refused = "bad" in path.name
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO bank_files (file_sha256, file_name, message, outcome, refusal, entry_count, received_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            *(sha, path.name, None if refused else "camt.054.001.02", "refused" if refused else "imported"),
            *(REFUSAL if refused else None, 0 if refused else 3, AT),
        )
        for index, state in enumerate([] if refused else ["reported", "duplicate", "suspense"]):
            await conn.execute(
                "INSERT INTO bank_entries (entry_id, file_sha256, entry_index, effect, state)"
                " VALUES ($1, $2, $3, 'booked', $4)",
                *(f"{sha[:16]}-{index}", sha, index, state),
            )


async def play_payments(pool: asyncpg.Pool, inbound: Path) -> None:
    seen: set[str] = set()
    while True:
        for path in sorted(inbound.glob("*.xml")) if inbound.exists() else []:
            if path.name not in seen:
                seen.add(path.name)
                await record_verdict(pool, path)
        await asyncio.sleep(0.1)


async def test_files_are_imported_refused_or_already_known_as_payments_database_says(
    payments_pool: asyncpg.Pool, database_urls: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbound, bank = tmp_path / "inbound", tmp_path / "bank"
    bank.mkdir()
    good, bad = bank / "camt054.xml", bank / "bad.xml"
    good.write_bytes(b"<Document>camt.054</Document>")
    bad.write_bytes(b"<Document>broken</Document>")
    monkeypatch.setenv("PAYMENTS_DATABASE_URL", database_urls["payments"])
    monkeypatch.setenv("PAYMENTS_INBOUND_DIR", str(inbound))

    def invoke(*args: str):
        # In a thread: the command runs its own event loop, as from a terminal.
        return asyncio.to_thread(CliRunner().invoke, cli.app, ["finance", "import", "--wait-s", "20", *args])

    payments = asyncio.create_task(play_payments(payments_pool, inbound))
    try:
        first = await invoke(str(good), str(bad))
        again = await invoke(str(good), "--json")
    finally:
        payments.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await payments

    assert first.exit_code == 1, first.output
    assert first.stdout.splitlines() == [
        f"imported: {good} (camt.054.001.02, 3 entries: reported 1, duplicate 1, suspense 1)",
        f"refused: {bad}: {REFUSAL}",
    ]
    assert sorted(p.name for p in inbound.iterdir()) == sorted(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()[:12]}-{p.name}" for p in (good, bad)
    )
    assert again.exit_code == 0, again.output
    [known] = json.loads(again.stdout)
    assert known["already_imported"] is True and known["counts"]["suspense"] == 1


async def test_nothing_answering_exits_3_and_leaves_the_file_for_payments(
    payments_pool: asyncpg.Pool, database_urls: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "camt054.xml"
    path.write_bytes(b"<Document>nobody reads me</Document>")
    monkeypatch.setenv("PAYMENTS_DATABASE_URL", database_urls["payments"])
    monkeypatch.setenv("PAYMENTS_INBOUND_DIR", str(tmp_path / "inbound"))
    args = ["finance", "import", "--wait-s", "0.5", str(path)]
    result = await asyncio.to_thread(CliRunner().invoke, cli.app, args)
    assert result.exit_code == 3, result.output
    assert f"still waiting: {path}" in result.stderr
    assert len(list((tmp_path / "inbound").glob("*-camt054.xml"))) == 1
