"""Reconciliation on real PostgreSQL: a consistent state agrees; each broken invariant is named, exit code 1."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import sys
from pathlib import Path

import asyncpg
import pytest

from guichet_payments.reconcile import reconcile, render_text
from guichet_payments.reconcile_rows import reconcile_with_rows
from guichet_payments.sepa import BatchFile, Debtor, Transfer, credit_transfer_xml

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[4]
PROGRAMME = "cheque-france-num-2021"
BATCH = "B-20210302-1"
EXECUTION = dt.date(2021, 3, 3)
AT = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)
GRANT = 50_000
DEBTOR = Debtor("AGENCE DE SERVICES ET DE PAIEMENT", "FR7630001007941234567890185", "BDFEFRPPCCT")
IBAN = "FR7693233145437431125912957"
# payment status, then the status of its one attempt and whether that attempt went into the batch file.
PAYMENTS = {
    "PAY-1": ("settled", "settled", True),
    "PAY-2": ("returned", "returned", True),
    "PAY-3": ("sent", "sent", True),
    "PAY-4": ("scheduled", "scheduled", False),
    "PAY-5": ("released", "returned", True),  # returned, no new details in 60 days: its 500 € went back
}


async def seed(pool: asyncpg.Pool, folder: Path) -> Path:
    """Four payments holding 2 000 € of a 10 000 € envelope, 500 € paid, 500 € released; one batch of four."""
    batched = [pid for pid, (_, _, in_batch) in PAYMENTS.items() if in_batch]
    transfers = [Transfer(pid, GRANT, "BOUTIQUE TEST", IBAN, None, f"{PROGRAMME} {pid}") for pid in batched]
    xml = credit_transfer_xml(BatchFile(BATCH, DEBTOR, EXECUTION, AT, tuple(transfers)))
    path = folder / f"{BATCH}.xml"
    path.write_bytes(xml)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO budgets (programme, total_cents, reserved_cents, paid_cents, released_cents)"
            " VALUES ($1, $2, $3, $4, $5)",
            *(PROGRAMME, 1_000_000, 4 * GRANT, GRANT, GRANT),
        )
        await conn.execute(
            "INSERT INTO batches (batch_id, programme, file_path, file_sha256, transfer_count, control_sum_cents,"
            " requested_execution_date) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            *(BATCH, PROGRAMME, str(path), hashlib.sha256(xml).hexdigest(), len(batched), len(batched) * GRANT),
            EXECUTION,
        )
        for n, (pid, (status, attempt_status, in_batch)) in enumerate(PAYMENTS.items(), start=1):
            await conn.execute(
                "INSERT INTO payments (payment_id, claim_id, programme, siren, amount_cents, submitted_at, status)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                *(pid, f"CFN-{n}", PROGRAMME, f"{100000000 + n}", GRANT, AT, status),
            )
            await conn.execute(
                "INSERT INTO payment_attempts (payment_id, attempt, end_to_end_id, beneficiary_name, iban,"
                " amount_cents, status, batch_id) VALUES ($1, 1, $1, 'BOUTIQUE TEST', $2, $3, $4, $5)",
                *(pid, IBAN, GRANT, attempt_status, BATCH if in_batch else None),
            )
    return path


async def report_of(pool: asyncpg.Pool):
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        return await reconcile(conn)


def problems(report) -> dict[str, list[str]]:
    return {check.name: check.problems for check in report.checks if check.problems}


async def test_a_consistent_state_agrees_with_every_figure(payments_pool: asyncpg.Pool, tmp_path: Path) -> None:
    await seed(payments_pool, tmp_path)
    report = await report_of(payments_pool)
    assert report.ok, problems(report)
    [programme] = report.programmes
    assert programme["programme"] == PROGRAMME
    assert (programme["total"], programme["reserved"], programme["available"]) == ("10000.00", "2000.00", "8000.00")
    assert (programme["paid"], programme["released"]) == ("500.00", "500.00")
    assert {s: (v["count"], v["euros"]) for s, v in programme["payments"].items()} == {
        status: (1, "500.00") for status in ("scheduled", "sent", "settled", "returned", "released")
    }
    assert (programme["outstanding"]["count"], programme["outstanding"]["euros"]) == (1, "500.00")
    assert report.batches == [
        {
            "batch_id": BATCH,
            "programme": PROGRAMME,
            "transfer_count": 4,
            "control_sum": "2000.00",
            "settled": 1,
            "returned": 2,
            "outstanding": 1,
        }
    ]


BREAKAGES = [
    pytest.param(
        "UPDATE batches SET control_sum_cents = 250000",
        "control sums disagree: file CtrlSum 2000.00 €, batch row 2500.00 €, attempts 2000.00 €",
        id="batch-row-control-sum",
    ),
    pytest.param(
        "UPDATE batches SET transfer_count = 5",
        "transfer counts disagree: file NbOfTxs 4, batch row 5, attempts 4",
        id="batch-row-transfer-count",
    ),
    pytest.param(
        "UPDATE payment_attempts SET amount_cents = 40000 WHERE payment_id = 'PAY-3'",
        "control sums disagree: file CtrlSum 2000.00 €, batch row 2000.00 €, attempts 1900.00 €",
        id="attempt-amount",
    ),
    pytest.param(
        "UPDATE payment_attempts SET batch_id = 'B-20210302-1' WHERE payment_id = 'PAY-4'",
        "transfer counts disagree: file NbOfTxs 4, batch row 4, attempts 5",
        id="attempt-not-in-file",
    ),
    pytest.param(
        "UPDATE budgets SET reserved_cents = reserved_cents + 50000",
        "reserved 2500.00 € but payments scheduled/sent/settled/returned sum to 2000.00 €",
        id="reserved-off",
    ),
    pytest.param(
        "UPDATE payments SET status = 'scheduled' WHERE payment_id = 'PAY-5'",
        "reserved 2000.00 € but payments scheduled/sent/settled/returned sum to 2500.00 €",
        id="released-payment-still-held",
    ),
    pytest.param(
        "UPDATE budgets SET paid_cents = 0",
        "paid 0.00 € but settled payments sum to 500.00 €",
        id="paid-off",
    ),
    pytest.param(
        "INSERT INTO payment_attempts (payment_id, attempt, end_to_end_id, beneficiary_name, iban, amount_cents,"
        " status) VALUES ('PAY-1', 2, 'PAY-1-2', 'BOUTIQUE TEST', 'FR7693233145437431125912957', 50000, 'settled')",
        "siren 100000001: 1 settled payments, 2 settled attempts",
        id="paid-twice-by-attempts",
    ),
]


@pytest.mark.parametrize(("breakage", "named"), BREAKAGES)
async def test_each_broken_invariant_is_named(
    payments_pool: asyncpg.Pool, tmp_path: Path, breakage: str, named: str
) -> None:
    await seed(payments_pool, tmp_path)
    await payments_pool.execute(breakage)
    report = await report_of(payments_pool)
    assert not report.ok
    found = [p for ps in problems(report).values() for p in ps]
    assert any(named in p for p in found), found


async def test_a_tampered_file_is_named(payments_pool: asyncpg.Pool, tmp_path: Path) -> None:
    path = await seed(payments_pool, tmp_path)
    path.write_bytes(path.read_bytes().replace(b"<NbOfTxs>4</NbOfTxs>", b"<NbOfTxs>3</NbOfTxs>", 1))
    found = [p for ps in problems(await report_of(payments_pool)).values() for p in ps]
    assert any(f"file {path} has sha256" in p for p in found), found
    assert any("transfer counts disagree: file NbOfTxs 3, batch row 4, attempts 4" in p for p in found), found


async def test_a_missing_file_is_named(payments_pool: asyncpg.Pool, tmp_path: Path) -> None:
    path = await seed(payments_pool, tmp_path)
    path.unlink()
    assert problems(await report_of(payments_pool)) == {
        "batch files match their rows and attempts": [f"batch {BATCH}: file {path} does not exist"]
    }


async def run_cli(database_url: str, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "guichet_console", "reconcile", *args),
        env={**os.environ, "PAYMENTS_DATABASE_URL": database_url},
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    return process.returncode, out.decode()


async def test_the_command_exits_0_when_everything_agrees(
    payments_pool: asyncpg.Pool, database_urls: dict[str, str], tmp_path: Path
) -> None:
    await seed(payments_pool, tmp_path)
    code, out = await run_cli(database_urls["payments"], "--json")
    assert code == 0, out
    document = json.loads(out)
    assert document["ok"] is True
    assert document["programmes"][0]["reserved"] == "2000.00"
    assert [c["ok"] for c in document["checks"]] == [True, True, True, True]


async def test_the_command_exits_1_and_says_what_disagrees(
    payments_pool: asyncpg.Pool, database_urls: dict[str, str], tmp_path: Path
) -> None:
    await seed(payments_pool, tmp_path)
    await payments_pool.execute("UPDATE budgets SET paid_cents = 0")
    code, out = await run_cli(database_urls["payments"])
    assert code == 1, out
    assert "check budget identity: DISAGREES" in out
    assert f"programme {PROGRAMME}: paid 0.00 € but settled payments sum to 500.00 €" in out
    assert "check batch files match their rows and attempts: OK" in out


async def seed_recovery(pool: asyncpg.Pool, folder: Path) -> None:
    """The seed, then PAY-1 (settled, 500 €) controlled and ordered back 200 €, of which 100 € were repaid and given
    back to the envelope: reserved 1 900 €, recovered 100 €."""
    await seed(pool, folder)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO control_campaigns VALUES ('C-20210302-0000abcd', $1, 7, 5, '{}', $2, $2, 'sup', 1, 1)",
            PROGRAMME,
            AT,
        )
        await conn.execute(
            "INSERT INTO controls (claim_id, campaign_id, payment_id, programme, siren, paid_cents, grounds, reply_by,"
            " selected_at, outcome, reason_code, amount_undue_cents) VALUES ('CFN-1', 'C-20210302-0000abcd', 'PAY-1',"
            " $1, '100000001', $2, '{CONTROL_SAMPLED}', '2021-04-01', $3, 'non_compliant', 'CONTROL_INVOICE_UNPAID',"
            " 20000)",
            PROGRAMME,
            GRANT,
            AT,
        )
        await conn.execute(
            "INSERT INTO recovery_orders (order_id, claim_id, payment_id, programme, siren, reason_code, amount_cents,"
            " repaid_cents, payment_reference, issued_on, due_on, state, issued_at, returns_to_envelope) VALUES"
            " ('RO-000000000001', 'CFN-1', 'PAY-1', $1, '100000001', 'CONTROL_INVOICE_UNPAID', 20000, 10000,"
            " 'RF41RO000000000001', '2021-03-02', '2021-04-01', 'outstanding', $2, true)",
            PROGRAMME,
            AT,
        )
        await conn.execute(
            "INSERT INTO repayments VALUES ('e-1', 'RO-000000000001', 10000, '2021-03-10', $1, true)", AT
        )
        await conn.execute("UPDATE budgets SET reserved_cents = reserved_cents - 10000, recovered_cents = 10000")


async def test_recovered_money_keeps_every_identity(payments_pool: asyncpg.Pool, tmp_path: Path) -> None:
    await seed_recovery(payments_pool, tmp_path)
    report = await report_of(payments_pool)
    assert report.ok, problems(report)
    [programme] = report.programmes
    assert (programme["reserved"], programme["recovered"], programme["available"]) == ("1900.00", "100.00", "8100.00")
    assert (programme["granted"], programme["in_flight"]) == ("2000.00", "1500.00")
    recovery = programme["recovery"]
    assert (recovery["controlled"], recovery["ordered_cents"], recovery["recovered_cents"]) == (1, 20000, 10000)
    assert recovery["by_reason"]["CONTROL_INVOICE_UNPAID"]["recovery_rate"] == 0.5
    assert "recovery orders 1: ordered 200.00 €, recovered 100.00 €" in render_text(report)


RECOVERY_BREAKAGES = [
    pytest.param(
        "UPDATE recovery_orders SET repaid_cents = 15000",
        "order RO-000000000001: repaid 15000 cents but its repayments sum to 10000",
        id="order-repaid-not-its-repayments",
    ),
    pytest.param(
        "UPDATE budgets SET recovered_cents = 0, reserved_cents = reserved_cents + 10000",
        "envelope recovered 0 cents, but repayments given back to it sum to 10000",
        id="envelope-recovered-not-its-repayments",
    ),
    pytest.param(
        "UPDATE payments SET amount_cents = 15000 WHERE payment_id = 'PAY-1'",
        "order RO-000000000001: orders 20000 cents, more than its payment's 15000",
        id="order-above-its-payment",
    ),
    pytest.param(
        "UPDATE budgets SET reserved_cents = reserved_cents + 10000",
        "reserved 2000.00 € but payments scheduled/sent/settled/returned sum to 2000.00 € less recovered 100.00 €",
        id="recovered-still-reserved",
    ),
]


@pytest.mark.parametrize(("breakage", "named"), RECOVERY_BREAKAGES)
async def test_each_broken_recovery_identity_is_named(
    payments_pool: asyncpg.Pool, tmp_path: Path, breakage: str, named: str
) -> None:
    await seed_recovery(payments_pool, tmp_path)
    await payments_pool.execute(breakage)
    found = [p for ps in problems(await report_of(payments_pool)).values() for p in ps]
    assert any(named in p for p in found), found


async def test_the_command_exits_1_when_a_recovery_identity_breaks(
    payments_pool: asyncpg.Pool, database_urls: dict[str, str], tmp_path: Path
) -> None:
    await seed_recovery(payments_pool, tmp_path)
    await payments_pool.execute("UPDATE recovery_orders SET repaid_cents = 15000")
    code, out = await run_cli(database_urls["payments"])
    assert code == 1, out
    assert "check controls and recovery: DISAGREES" in out


async def test_the_export_rows_hold_each_recovery_order(
    payments_pool: asyncpg.Pool, database_urls: dict[str, str], tmp_path: Path
) -> None:
    await seed_recovery(payments_pool, tmp_path)
    rows = await reconcile_with_rows(database_urls["payments"])
    [order] = rows.recovery_orders
    assert (order.order_id, order.claim_id, order.siren, order.state) == (
        "RO-000000000001",
        "CFN-1",
        "100000001",
        "outstanding",
    )
    assert (order.amount_cents, order.repaid_cents, order.repayments, order.returned_to_envelope_cents) == (
        20000,
        10000,
        1,
        10000,
    )
