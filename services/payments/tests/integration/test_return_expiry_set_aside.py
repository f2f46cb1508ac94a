"""The return-expiry job on a row it cannot release: that payment is set aside once (`return_expiry`), the others
are released, and an operator's release puts it back in the job's queue."""

from __future__ import annotations

import datetime as dt

import asyncpg
import pytest
from structlog.testing import capture_logs

from guichet_common.set_aside import held_items, record_decision
from guichet_common.settings import project_root
from guichet_common.unit_of_work import open_unit_of_work
from guichet_payments import set_aside_repository
from guichet_payments.service import PaymentsService
from guichet_payments.settlement import SettlementService
from guichet_payments.unit_of_work import PaymentsUnitOfWork
from guichet_programme import load_programme

pytestmark = pytest.mark.integration
PROGRAMME = load_programme(project_root() / "programmes" / "cheque-france-num-2021.toml")
NOW = dt.datetime(2021, 9, 1, 10, tzinfo=dt.UTC)


async def returned_payments(pool: asyncpg.Pool, amounts: dict[str, int]) -> SettlementService:
    payments = PaymentsService(programmes={PROGRAMME.id: PROGRAMME}, clock=lambda: NOW)
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        await payments.open_envelopes(uow)
        await uow.commit()
    async with pool.acquire() as conn:
        await conn.execute("UPDATE budgets SET reserved_cents = 100000")
        for n, (payment_id, amount) in enumerate(amounts.items()):
            await conn.execute(
                "INSERT INTO payments (payment_id, claim_id, programme, siren, amount_cents, submitted_at, status,"
                " returned_at) VALUES ($1, $2, $3, $4, $5, $6, 'returned', $6)",
                payment_id,
                f"CFN-EXPIRY-{n}",
                PROGRAMME.id,
                f"{300000000 + n}",
                amount,
                NOW - dt.timedelta(days=90 + n),
            )
    return SettlementService(payments)


async def run(pool: asyncpg.Pool, job) -> object:
    """A background job in one committed unit of work, as the service runs it."""
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        done = await job(uow)
        await uow.commit()
        return done


async def on_connection(pool: asyncpg.Pool, step) -> object:
    """What the console does: its own transaction on a bare connection."""
    async with pool.acquire() as conn, conn.transaction():
        return await step(conn)


async def test_a_return_that_cannot_be_released_is_set_aside_and_the_others_expire(
    payments_pool: asyncpg.Pool,
) -> None:
    # The first payment's amount exceeds what the envelope holds reserved (stored by some past bug): releasing it
    # breaks the budget's CHECK, for it alone.
    settlements = await returned_payments(payments_pool, {"P-POISON": 10_000_000, "P-FINE": 50_000})
    with capture_logs() as logs:
        assert await run(payments_pool, settlements.release_expired_returns) == 2
        assert await run(payments_pool, settlements.release_expired_returns) == 0
    states = dict(await payments_pool.fetch("SELECT payment_id, status FROM payments"))
    assert states == {"P-POISON": "returned", "P-FINE": "released"}
    [held] = await held_items(payments_pool)
    assert (held.kind, held.item_id) == ("return_expiry", "P-POISON") and "CheckViolation" in held.reason
    assert [e["item_id"] for e in logs if e["event"] == "item_set_aside"] == ["P-POISON"]

    async def release(conn: asyncpg.Connection) -> None:
        await record_decision(conn, "return_expiry", "P-POISON", "released", "alice", "budget corrected")
        await set_aside_repository.release(conn, "return_expiry", "P-POISON")
        await conn.execute("UPDATE payments SET amount_cents = 50000 WHERE payment_id = 'P-POISON'")

    await on_connection(payments_pool, release)
    assert await run(payments_pool, settlements.release_expired_returns) == 1
    assert await payments_pool.fetchval("SELECT status FROM payments WHERE payment_id = 'P-POISON'") == "released"
