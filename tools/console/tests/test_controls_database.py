"""`guichet controls list|show`, `guichet recovery list|show` and `guichet trace` on a real payments database,
migrated by payments' own migrations: a campaign, two controls, one recovery order partly repaid. The rows are
written here as payments writes them (payments' own tests cover how it gets there; tests/e2e the whole journey)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import asyncpg
import pytest
from typer.testing import CliRunner

from guichet_console import cli

pytestmark = pytest.mark.integration
AT = dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC)
CAMPAIGN = "C-20261203-0a1b2c3d"
PROGRAMME = "cheque-france-num-2021"


async def paid_and_controlled(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO budgets (programme, total_cents, reserved_cents, paid_cents) VALUES ($1, 10000000, 100000,"
            " 100000)",
            PROGRAMME,
        )
        for n in (1, 2):
            await conn.execute(
                "INSERT INTO payments (payment_id, claim_id, programme, siren, amount_cents, submitted_at, status)"
                " VALUES ($1, $2, $3, $4, 50000, $5, 'settled')",
                *(f"P{n}", f"CFN-{n}", PROGRAMME, f"64251571{n}", AT - dt.timedelta(days=30)),
            )
        await conn.execute(
            "INSERT INTO control_campaigns (campaign_id, programme, seed, sampling_percent, risk_rules, paid_before,"
            " opened_at, opened_by, population, selected) VALUES ($1, $2, 42, 5, $3, $4, $4, 'sam', 40, 2)",
            *(CAMPAIGN, PROGRAMME, ["CONTROL_RISK_REVIEWED"], AT),
        )
        for n, outcome in ((1, "compliant"), (2, "non_compliant")):
            await conn.execute(
                "INSERT INTO controls (claim_id, campaign_id, payment_id, programme, siren, paid_cents, grounds,"
                " reply_by, selected_at, outcome, reason_code, amount_undue_cents, decided_by, seconded_by,"
                " decided_at) VALUES ($1, $2, $3, $4, $5, 50000, $6, $7, $8, $9, $10, $11, 'carla', $12, $13)",
                *(f"CFN-{n}", CAMPAIGN, f"P{n}", PROGRAMME, f"64251571{n}", ["CONTROL_SAMPLED"], dt.date(2026, 12, 18)),
                *(AT, outcome, "CONTROL_INVOICE_UNPAID" if n == 2 else None, 20_000 if n == 2 else None),
                *("sam" if n == 2 else None, AT + dt.timedelta(days=16)),
            )
        await conn.execute(
            "INSERT INTO recovery_orders (order_id, claim_id, payment_id, programme, siren, reason_code,"
            " amount_cents, repaid_cents, payment_reference, issued_on, due_on, reminders_sent, state, issued_at,"
            " returns_to_envelope) VALUES ('RO-ABCDEF123456', 'CFN-2', 'P2', $1, '642515712', 'CONTROL_INVOICE_UNPAID',"
            " 20000, 5000, 'RF18539007547034', $2, $3, 1, 'outstanding', $4, true)",
            *(PROGRAMME, dt.date(2026, 12, 19), dt.date(2027, 1, 18), AT + dt.timedelta(days=16)),
        )
        await conn.execute(
            "INSERT INTO repayments (bank_entry, order_id, amount_cents, value_date, received_at, returned_to_envelope)"
            " VALUES ('E-1', 'RO-ABCDEF123456', 5000, $1, $2, true)",
            *(dt.date(2026, 12, 28), AT + dt.timedelta(days=25)),
        )


def console(*args: str):
    # In a thread: the command runs its own event loop, as from a terminal.
    return asyncio.to_thread(CliRunner().invoke, cli.app, list(args), env={"COLUMNS": "200"})


async def test_campaigns_orders_and_the_trace_read_payments_tables(
    payments_pool: asyncpg.Pool,
    intake_pool: asyncpg.Pool,
    eligibility_pool: asyncpg.Pool,
    notifications_pool: asyncpg.Pool,
    database_urls: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await paid_and_controlled(payments_pool)
    for service, url in database_urls.items():
        monkeypatch.setenv(f"{service.upper()}_DATABASE_URL", url)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)

    listed = await console("controls", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert [c["campaign_id"] for c in json.loads(listed.stdout)["campaigns"]] == [CAMPAIGN]
    shown = await console("controls", "show", CAMPAIGN)
    assert shown.exit_code == 0, shown.output
    assert "1 contrôle(s) décidé(s) sur 2" not in shown.stdout and "2 contrôle(s) décidé(s) sur 2" in shown.stdout

    orders = await console("recovery", "list", "--state", "outstanding", "--json")
    assert orders.exit_code == 0, orders.output
    [order] = json.loads(orders.stdout)["orders"]
    assert (order["order_id"], order["outstanding_cents"]) == ("RO-ABCDEF123456", 15_000)
    assert json.loads((await console("recovery", "list", "--state", "settled", "--json")).stdout)["orders"] == []
    one = await console("recovery", "show", "CFN-2")
    assert one.exit_code == 0, one.output
    assert "reste dû 150,00 €" in one.stdout and "écriture E-1" in one.stdout
    assert (await console("recovery", "show", "RO-000000000000")).exit_code == 1

    traced = await console("trace", "CFN-2", "--json")
    titles = [event["title"] for event in json.loads(traced.stdout)["events"]]
    assert "Contrôle : non conforme (CONTROL_INVOICE_UNPAID), 200,00 € à reverser" in titles
    assert "Reversement reçu : 50,00 € (écriture E-1), reste dû 150,00 €" in titles

    report = await console("report", "--programme", PROGRAMME, "--json")
    assert report.exit_code == 0, report.output
    controls = json.loads(report.stdout)["controls"]
    assert (controls["controlled"], controls["ordered_cents"], controls["recovered_cents"]) == (2, 20_000, 5_000)
    assert controls["outcome_rates"]["compliant"] == 0.5
    assert controls["recovery_rate_by_reason"] == {"CONTROL_INVOICE_UNPAID": 0.25}


async def test_a_database_before_the_controls_migrations_reads_as_no_control_and_keeps_the_transaction(
    payments_pool: asyncpg.Pool,
) -> None:
    from guichet_payments import operators as payments

    await paid_and_controlled(payments_pool)
    async with payments_pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute("DROP TABLE repayments, recovery_orders, controls CASCADE")
            assert await payments.control_of(conn, "CFN-2") is None
            assert await payments.recovery_order(conn, claim_id="CFN-2") is None
            assert await payments.recovery_orders(conn) == []
            assert (await payments.payment(conn, "CFN-2"))["payment_id"] == "P2"  # the trace reads on
        finally:
            await transaction.rollback()
