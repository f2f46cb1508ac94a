"""Recovery on real PostgreSQL: migration 009 on a database that already holds money, an order repaid by a camt.054
credit imported through the real importer (once, however often the bank repeats it), and the money back in the
envelope paying the oldest waiting claim."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest
from prometheus_client import generate_latest

from guichet_common.contracts import ClaimDecidedV1
from guichet_common.db import run_migrations
from guichet_common.metrics import ServiceMetrics
from guichet_common.runtime import COMMON_MIGRATIONS
from guichet_common.set_aside import set_aside
from guichet_common.settings import project_root
from guichet_common.unit_of_work import announcing, open_unit_of_work
from guichet_payments import status_repository
from guichet_payments.bank_files.importer import BankFileImporter, ImportOutcome
from guichet_payments.recovery.domain import FollowUp
from guichet_payments.recovery.service import RecoveryService
from guichet_payments.service import PaymentsService
from guichet_payments.unit_of_work import PaymentsUnitOfWork
from guichet_programme import load_programme

pytestmark = pytest.mark.integration
MIGRATIONS = project_root() / "services" / "payments" / "migrations"
PROGRAMME = load_programme(project_root() / "programmes" / "cheque-france-num-2021.toml")
ENVELOPE = PROGRAMME.model_copy(update={"budget": PROGRAMME.budget.model_copy(update={"total_cents": 50_000})})
NOW = dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC)
GRANT = 50_000
PAYMENTS = PaymentsService(programmes={PROGRAMME.id: ENVELOPE}, clock=lambda: NOW)
RECOVERY = RecoveryService(PAYMENTS.programmes, PAYMENTS.announce, lambda: NOW, PAYMENTS)
IMPORTER = BankFileImporter(PAYMENTS, recovery=RECOVERY)


def approval(n: int) -> ClaimDecidedV1:
    return ClaimDecidedV1(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        correlation_id=uuid.uuid4(),
        claim_id=f"CFN-REC-{n:07d}",
        programme=PROGRAMME.id,
        siren=f"{200000000 + n}",
        decision="approved",
        rule_version="2021-01-28",
        grant_amount_cents=GRANT,
        submitted_at=NOW + dt.timedelta(seconds=n),
        beneficiary_name="BOUTIQUE TEST",
        iban="FR7693233145437431125912957",
    )


async def paid_then_ordered(pool: asyncpg.Pool, amount_cents: int) -> tuple[str, str]:
    """Claim 1 approved, paid (settled), controlled and found non-compliant; claims 3 then 2 wait for money. Returns
    the order's id and creditor reference."""
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        await PAYMENTS.open_envelopes(uow)
        await PAYMENTS.apply_approvals(uow, [approval(1), approval(3), approval(2)])
        await uow.commit()
    async with pool.acquire() as conn, conn.transaction():
        payment_id = await conn.fetchval("UPDATE payments SET status = 'settled' RETURNING payment_id")
        await conn.execute("UPDATE payment_attempts SET status = 'settled', reported_at = $1", NOW)
        await conn.execute("UPDATE budgets SET paid_cents = $1", GRANT)
        await conn.execute(
            "INSERT INTO control_campaigns VALUES ('C-20261203-0000abcd', $1, 7, 5, '{}', $2, $2, 'sup', 1, 1)",
            PROGRAMME.id,
            NOW,
        )
        await conn.execute(
            "INSERT INTO controls (claim_id, campaign_id, payment_id, programme, siren, paid_cents, grounds,"
            " reply_by, selected_at) VALUES ('CFN-REC-0000001', 'C-20261203-0000abcd', $1, $2, '200000001', $3,"
            " '{CONTROL_SAMPLED}', '2026-12-31', $4)",
            payment_id,
            PROGRAMME.id,
            GRANT,
            NOW,
        )
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        order_id, messages = await RECOVERY.issue(
            uow,
            claim_id="CFN-REC-0000001",
            payment_id=payment_id,
            programme=PROGRAMME.id,
            siren="200000001",
            amount_cents=amount_cents,
            reason_code="CONTROL_INVOICE_NOT_GENUINE",
            source=None,
            now=NOW,
        )
        uow.publish(messages)
        await uow.commit()
    return order_id, await pool.fetchval("SELECT payment_reference FROM recovery_orders")


def camt(message: str, entries: list[tuple[str, str, str]]) -> bytes:
    """A camt.054 (or camt.053) of booked credits: (AcctSvcrRef, amount in euros, structured creditor reference)."""
    document, report, block = {
        "camt.054": ("camt.054.001.02", "BkToCstmrDbtCdtNtfctn", "Ntfctn"),
        "camt.053": ("camt.053.001.02", "BkToCstmrStmt", "Stmt"),
    }[message]
    ntries = "".join(
        f"""<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2026-12-03</Dt></BookgDt><ValDt><Dt>2026-12-03</Dt></ValDt><AcctSvcrRef>{ref}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls><AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>
        <RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{creditor}</Ref></CdtrRefInf>
        </Strd></RmtInf></TxDtls></NtryDtls></Ntry>"""
        for ref, amount, creditor in entries
    )
    balance = (
        '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
        "<Dt><Dt>2026-12-03</Dt></Dt></Bal>"
        if message == "camt.053"
        else ""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{document}"><{report}>
<GrpHdr><MsgId>{message}-{uuid.uuid4().hex[:8]}</MsgId><CreDtTm>2026-12-03T09:15:00</CreDtTm></GrpHdr>
<{block}><Id>B-1</Id><CreDtTm>2026-12-03T09:15:00</CreDtTm>
<Acct><Id><IBAN>FR7630001007941234567890185</IBAN></Id><Ccy>EUR</Ccy></Acct>{balance}{ntries}</{block}>
</{report}></Document>""".encode()


async def import_file(pool: asyncpg.Pool, name: str, content: bytes) -> ImportOutcome:
    async with open_unit_of_work(pool, announcing(PaymentsUnitOfWork, "payments", "")) as uow:
        outcome = await IMPORTER.import_file(uow, name, content, NOW)
        await uow.commit()
    return outcome


async def published(pool: asyncpg.Pool, topic: str) -> list[dict[str, object]]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE topic = $1 ORDER BY id", topic)
    return [json.loads(row["value"]) for row in rows]


async def test_a_camt054_credit_quoting_the_reference_settles_the_order_once(payments_pool: asyncpg.Pool) -> None:
    order_id, reference = await paid_then_ordered(payments_pool, 30_000)
    spaced = " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))
    partial = camt("camt.054", [("CR-1", "100.00", spaced), ("CR-2", "250.00", reference)])
    outcome = await import_file(payments_pool, "credits.xml", partial)
    # 100 € repays part of the order; 250 € is more than the 200 € still owed: suspense, with why.
    assert dict(outcome.counts) == {"repayment": 1, "suspense": 1}
    assert await payments_pool.fetchval("SELECT suspense_reason FROM bank_entries WHERE state = 'suspense'") == (
        "a credit above what its recovery order still owes"
    )
    assert (await import_file(payments_pool, "credits-again.xml", partial)).outcome == "already_imported"
    statement = camt("camt.053", [("CR-1", "100.00", reference), ("CR-3", "200.00", reference)])
    repeated = await import_file(payments_pool, "statement.xml", statement)
    assert dict(repeated.counts) == {"duplicate": 1, "repayment": 1}  # CR-1 counts once
    order = await payments_pool.fetchrow("SELECT state, repaid_cents FROM recovery_orders")
    assert (order["state"], order["repaid_cents"]) == ("settled", 30_000)
    assert await payments_pool.fetchval("SELECT count(*) FROM repayments") == 2
    steps = [event["step"] for event in await published(payments_pool, "payments.recovery-orders.v1")]
    assert steps == ["issued", "repayment", "repayment", "settled"]
    recovered = [s for s in await published(payments_pool, "claims.status.v1") if s["status"] == "recovered"]
    assert [(s["claim_id"], s["recovery_order_id"]) for s in recovered] == [("CFN-REC-0000001", order_id)]


async def test_money_recovered_pays_the_oldest_waiting_claim(payments_pool: asyncpg.Pool) -> None:
    _, reference = await paid_then_ordered(payments_pool, GRANT)
    await import_file(payments_pool, "repaid.xml", camt("camt.054", [("CR-9", "500.00", reference)]))
    budget = await payments_pool.fetchrow("SELECT reserved_cents, paid_cents, recovered_cents FROM budgets")
    # Claim 2 (submitted before 3) is paid from the recovered money: reserved = held (2 grants) - recovered (1).
    assert dict(budget) == {"reserved_cents": GRANT, "paid_cents": GRANT, "recovered_cents": GRANT}
    waiting = await payments_pool.fetch("SELECT claim_id FROM waitlist")
    assert [row["claim_id"] for row in waiting] == ["CFN-REC-0000003"]
    scheduled = await payments_pool.fetchval("SELECT claim_id FROM payments WHERE status = 'scheduled'")
    assert scheduled == "CFN-REC-0000002"


async def test_migration_009_on_a_database_that_already_holds_money(
    payments_pool: asyncpg.Pool, database_urls: dict[str, str], tmp_path: Path
) -> None:
    # A schema of its own, migrated up to 008 and filled, as production is when 009 arrives.
    schema = f"before_009_{uuid.uuid4().hex[:8]}"
    await payments_pool.execute(f"CREATE SCHEMA {schema}")
    for path in MIGRATIONS.glob("00[1-8]-*.sql"):
        shutil.copy(path, tmp_path / path.name)
    pool = await asyncpg.create_pool(
        database_urls["payments"], min_size=1, max_size=1, server_settings={"search_path": schema}
    )
    try:
        await run_migrations(pool, COMMON_MIGRATIONS)
        await run_migrations(pool, tmp_path)
        await pool.execute(
            "INSERT INTO budgets (programme, total_cents, reserved_cents, paid_cents)"
            " VALUES ('p', 100000, 80000, 80000)"
        )
        assert await run_migrations(pool, MIGRATIONS) == ["009-recovery.sql"]
        assert dict(await pool.fetchrow("SELECT reserved_cents, paid_cents, recovered_cents FROM budgets")) == {
            "reserved_cents": 80000,
            "paid_cents": 80000,
            "recovered_cents": 0,
        }
        # Recovered money may leave the reservation now; never more than was paid, never below what stays paid.
        await pool.execute("UPDATE budgets SET reserved_cents = 30000, recovered_cents = 50000")
        with pytest.raises(asyncpg.CheckViolationError):
            await pool.execute("UPDATE budgets SET recovered_cents = 80001, reserved_cents = 0")
        with pytest.raises(asyncpg.CheckViolationError):
            await pool.execute("UPDATE budgets SET reserved_cents = 29999")
    finally:
        await pool.close()
        await payments_pool.execute(f"DROP SCHEMA {schema} CASCADE")


async def test_metrics_show_controls_and_recovery_per_programme(payments_pool: asyncpg.Pool) -> None:
    _, reference = await paid_then_ordered(payments_pool, 30_000)
    await import_file(payments_pool, "part.xml", camt("camt.054", [("CR-5", "100.00", reference)]))
    metrics = ServiceMetrics("payments")
    async with payments_pool.acquire() as conn:
        metrics.set_programme_figures(await status_repository.control_and_recovery_gauges(conn))
    text = generate_latest(metrics.registry).decode()
    labels = f'app_name="payments",figure="{{}}",programme="{PROGRAMME.id}"'
    for figure, value in {
        "controls": 1,
        "controls_pending": 1,
        "recovery_orders_outstanding": 1,
        "recovery_ordered_cents": 30_000,
        "recovery_recovered_cents": 10_000,
        "recovery_outstanding_cents": 20_000,
    }.items():
        assert f"guichet_programme_figures{{{labels.format(figure)}}} {float(value)}" in text


async def test_follow_up_reminds_on_the_clock_and_skips_an_order_while_it_is_set_aside(
    payments_pool: asyncpg.Pool,
) -> None:
    order_id, _ = await paid_then_ordered(payments_pool, GRANT)
    due_on = await payments_pool.fetchval("SELECT due_on FROM recovery_orders")
    clock = {"now": NOW}
    job = RecoveryService(PAYMENTS.programmes, PAYMENTS.announce, lambda: clock["now"], PAYMENTS)

    async def turn(days_after_due: int) -> int:
        clock["now"] = dt.datetime.combine(due_on + dt.timedelta(days=days_after_due), dt.time(9, tzinfo=dt.UTC))
        async with open_unit_of_work(payments_pool, PaymentsUnitOfWork) as uow:
            moved = await job.follow_up(uow)
            await uow.commit()
        return moved

    assert await turn(14) == 0
    assert await turn(15) == 1  # the first reminder, 15 days after the due date (Paris)
    await set_aside(payments_pool, "recovery_order", order_id, "held by hand")
    assert await turn(30) == 0  # the second is due, but the order is set aside
    await payments_pool.execute("UPDATE set_aside_items SET state = 'released'")
    assert await turn(30) == 1
    assert await turn(45) == 1  # then collection
    row = await payments_pool.fetchrow("SELECT state, reminders_sent, collection_at FROM recovery_orders")
    assert (row["state"], row["reminders_sent"], row["collection_at"]) == ("in_collection", 2, clock["now"])
    steps = [event["step"] for event in await published(payments_pool, "payments.recovery-orders.v1")]
    assert steps == ["issued", "reminded", "reminded", "passed_to_collection"]


async def test_orders_waiting_for_a_later_step_do_not_hide_one_whose_step_has_come(payments_pool: asyncpg.Pool) -> None:
    """The follow-up reads a page of orders at a time: the page must hold those with a step due today, not the oldest
    ones, which may all be waiting for their collection day."""
    await paid_then_ordered(payments_pool, GRANT)
    async with payments_pool.acquire() as conn, conn.transaction():
        # The first order: both reminders sent, its collection 45 days after a due date 40 days ago: not yet.
        await conn.execute("UPDATE recovery_orders SET due_on = $1, reminders_sent = 2", NOW.date() - dt.timedelta(40))
        # A younger one, due 20 days ago, whose first reminder (15 days after) is owed.
        await conn.execute(
            "INSERT INTO controls SELECT 'CFN-REC-0000009', campaign_id, payment_id, programme, siren, paid_cents,"
            " grounds, reply_by, selected_at FROM controls"
        )
        await conn.execute(
            "INSERT INTO recovery_orders SELECT 'RO-YOUNGER00001', 'CFN-REC-0000009', payment_id, programme, siren,"
            " reason_code, amount_cents, 0, 'RF18YOUNGER', issued_on, $1, 0, 'outstanding', issued_at, NULL, NULL,"
            " returns_to_envelope, source FROM recovery_orders",
            NOW.date() - dt.timedelta(20),
        )
    timetable = FollowUp(PROGRAMME.recovery.reminder_days_after_due, PROGRAMME.recovery.collection_days_after_due)
    async with open_unit_of_work(payments_pool, PaymentsUnitOfWork) as uow:
        page = await uow.recovery.with_step_due(PROGRAMME.id, NOW.date(), timetable, limit=1)
    assert [order.order_id for order in page] == ["RO-YOUNGER00001"]
