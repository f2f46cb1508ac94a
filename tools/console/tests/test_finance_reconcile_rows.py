"""`guichet finance reconcile --csv --xlsx` on a real payments database: the rows per batch and per payment as the
service's tables hold them (a settled, a returned, a sent payment, one sent again after the bank rejected its
file, one not batched yet), every check OK, and neither the IBAN nor the beneficiary's name in any export."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from pathlib import Path

import asyncpg
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from guichet_console import cli
from guichet_payments import operators as payments

pytestmark = pytest.mark.integration
PROGRAMME = "cheque-france-num-2021"
BATCH = "B-20210302-1"
GRANT = 50_000
IBAN = "FR7693233145437431125912957"
NAME = "BOUTIQUE ÉTÉ DUPONT"
AT = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)
SETTLED_AT = dt.datetime(2021, 3, 5, 9, tzinfo=dt.UTC)
RETURNED_AT = dt.datetime(2021, 3, 10, 23, 30, tzinfo=dt.UTC)  # the 11th in Paris
# payment: its status, its attempts' statuses (the last is the payment's own), whether the first went into BATCH
PAYMENTS = {
    "PAY-1": ("settled", ["settled"]),
    "PAY-2": ("returned", ["returned"]),
    "PAY-3": ("sent", ["sent"]),
    "PAY-4": ("scheduled", ["rejected", "scheduled"]),  # the bank rejected the whole file: sent again
    "PAY-5": ("scheduled", ["scheduled"]),  # not batched yet
}
IN_BATCH = ("PAY-1", "PAY-2", "PAY-3", "PAY-4")


def pain001(count: int, cents: int) -> bytes:
    # What the reconciliation reads of the file: its group header's count and control sum.
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn><GrpHdr>'
        f"<MsgId>{BATCH}</MsgId><NbOfTxs>{count}</NbOfTxs><CtrlSum>{cents / 100:.2f}</CtrlSum>"
        "</GrpHdr></CstmrCdtTrfInitn></Document>"
    ).encode()


async def seed(pool: asyncpg.Pool, folder: Path) -> None:
    xml = pain001(len(IN_BATCH), len(IN_BATCH) * GRANT)
    (folder / f"{BATCH}.xml").write_bytes(xml)
    held = len(PAYMENTS) * GRANT
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO budgets (programme, total_cents, reserved_cents, paid_cents) VALUES ($1, $2, $3, $4)",
            *(PROGRAMME, 1_000_000, held, GRANT),
        )
        await conn.execute(
            "INSERT INTO batches (batch_id, programme, file_path, file_sha256, transfer_count, control_sum_cents,"
            " requested_execution_date, created_at, message_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            *(BATCH, PROGRAMME, str(folder / f"{BATCH}.xml"), hashlib.sha256(xml).hexdigest(), len(IN_BATCH)),
            *(len(IN_BATCH) * GRANT, dt.date(2021, 3, 3), AT, "pain.001.001.03"),
        )
        for n, (pid, (status, attempts)) in enumerate(PAYMENTS.items(), start=1):
            returned = (RETURNED_AT, "AC04") if status == "returned" else (None, None)
            await conn.execute(
                "INSERT INTO payments (payment_id, claim_id, programme, siren, amount_cents, submitted_at, status,"
                " attempt, returned_at, return_reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
                " $6)",
                *(pid, f"CFN-{n}", PROGRAMME, f"{100000000 + n}", GRANT, AT, status, len(attempts), *returned),
            )
            for attempt, attempt_status in enumerate(attempts, start=1):
                batch = BATCH if attempt == 1 and pid in IN_BATCH else None
                await conn.execute(
                    "INSERT INTO payment_attempts (payment_id, attempt, end_to_end_id, beneficiary_name, iban,"
                    " amount_cents, status, batch_id, reported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    *(pid, attempt, f"{pid}-{attempt}", NAME, IBAN, GRANT, attempt_status, batch),
                    SETTLED_AT if attempt_status == "settled" else None,
                )


async def test_the_exports_hold_every_batch_and_payment_and_no_iban_or_name(
    payments_pool: asyncpg.Pool, database_urls: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(payments_pool, tmp_path)
    monkeypatch.setenv("PAYMENTS_DATABASE_URL", database_urls["payments"])
    xlsx, folder = tmp_path / "reconcile.xlsx", tmp_path / "csv"
    # In a thread: the command runs its own event loop, as from a terminal.
    args = ["finance", "reconcile", "--csv", str(folder), "--xlsx", str(xlsx)]
    result = await asyncio.to_thread(CliRunner().invoke, cli.app, args)
    assert result.exit_code == 0, result.output
    assert "DISAGREES" not in result.stdout

    batches = (folder / "batches.csv").read_text(encoding="utf-8-sig").splitlines()
    digest = hashlib.sha256((tmp_path / f"{BATCH}.xml").read_bytes()).hexdigest()
    assert batches[1:] == [f"{BATCH},{PROGRAMME},pain.001.001.03,2021-03-03,2021-03-02,4,2000.00,1,1,1,1,{digest}"]
    lines = (folder / "payments.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    assert lines == [
        f"PAY-1,CFN-1,{PROGRAMME},100000001,500.00,settled,1,2021-03-02,2021-03-02,2021-03-05,,,{BATCH}",
        f"PAY-2,CFN-2,{PROGRAMME},100000002,500.00,returned,1,2021-03-02,2021-03-02,,2021-03-11,AC04,{BATCH}",
        f"PAY-3,CFN-3,{PROGRAMME},100000003,500.00,sent,1,2021-03-02,2021-03-02,,,,{BATCH}",
        f"PAY-4,CFN-4,{PROGRAMME},100000004,500.00,scheduled,2,2021-03-02,,,,,",
        f"PAY-5,CFN-5,{PROGRAMME},100000005,500.00,scheduled,1,2021-03-02,,,,,",
    ]

    workbook = load_workbook(xlsx)
    assert [workbook[name].max_row for name in ("programmes", "batches", "payments")] == [2, 2, 6]
    cells = [str(v) for sheet in workbook for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    exported = [*(p.read_text(encoding="utf-8-sig") for p in folder.iterdir()), *cells]
    for secret in (IBAN, IBAN[-8:], NAME, "DUPONT"):
        assert not any(secret in text for text in exported), secret


async def test_the_rows_come_from_the_reconciliations_own_snapshot(
    payments_pool: asyncpg.Pool, database_urls: dict[str, str], tmp_path: Path
) -> None:
    await seed(payments_pool, tmp_path)
    rows = await payments.reconcile_with_rows(database_urls["payments"])
    assert rows.report.ok, [c.problems for c in rows.report.checks]
    assert [b.batch_id for b in rows.batches] == [BATCH]
    assert {p.payment_id: p.attempts for p in rows.payments}["PAY-4"] == 2
