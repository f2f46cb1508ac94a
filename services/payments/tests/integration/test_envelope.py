"""The envelope on real PostgreSQL: never exceeded, even by concurrent transactions; the rest waitlisted."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import asyncpg
import pytest

from guichet_common.contracts import ClaimDecidedV1
from guichet_common.programmes import load_programme
from guichet_common.records import InboundRecord
from guichet_common.settings import project_root
from guichet_payments.service import PaymentsService

pytestmark = pytest.mark.integration
BASE = load_programme(project_root() / "programmes" / "cheque-france-num-2021.toml")
# Room for exactly three grants.
SMALL = BASE.model_copy(update={"budget": BASE.budget.model_copy(update={"total_cents": 3 * 50_000 + 49_999})})
PARIS = dt.timezone(dt.timedelta(hours=1))


def approval(n: int, siren: str | None = None) -> InboundRecord:
    event = ClaimDecidedV1(
        event_id=uuid.uuid4(),
        occurred_at=dt.datetime(2021, 3, 2, 10, tzinfo=PARIS),
        correlation_id=uuid.uuid4(),
        claim_id=f"CFN-TEST-{n:07d}",
        programme=BASE.id,
        siren=siren or f"{100000000 + n}",
        decision="approved",
        rule_version="2021-01-28",
        grant_amount_cents=50_000,
        submitted_at=dt.datetime(2021, 3, 2, 10, tzinfo=PARIS) + dt.timedelta(seconds=n),
        beneficiary_name="BOUTIQUE TEST",
        iban="FR7693233145437431125912957",
    )
    return InboundRecord("eligibility.decisions.v1", 0, n, event.siren.encode(), event.model_dump_json().encode())


async def apply(pool: asyncpg.Pool, service: PaymentsService, records: list[InboundRecord]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await service.apply_approvals(conn, records)


async def statuses(pool: asyncpg.Pool) -> list[str]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE topic = 'claims.status.v1' ORDER BY id")
    import json

    return [json.loads(r["value"])["status"] for r in rows]


async def test_concurrent_approvals_never_exceed_the_envelope(payments_pool: asyncpg.Pool) -> None:
    service = PaymentsService(programmes={BASE.id: SMALL})
    async with payments_pool.acquire() as conn:
        await service.open_envelopes(conn)
    records = [approval(n) for n in range(20)]
    # Ten concurrent transactions of two approvals each, as two instances would do under load.
    await asyncio.gather(*(apply(payments_pool, service, records[i : i + 2]) for i in range(0, 20, 2)))
    budget = await payments_pool.fetchrow("SELECT total_cents, reserved_cents FROM budgets")
    assert budget["reserved_cents"] == 150_000 <= budget["total_cents"]
    assert await payments_pool.fetchval("SELECT count(*) FROM payments") == 3
    assert await payments_pool.fetchval("SELECT count(*) FROM waitlist") == 17
    assert (await statuses(payments_pool)).count("waitlisted") == 17


async def test_a_redelivered_approval_pays_once(payments_pool: asyncpg.Pool) -> None:
    service = PaymentsService(programmes={BASE.id: BASE})
    async with payments_pool.acquire() as conn:
        await service.open_envelopes(conn)
    record = approval(1)
    await apply(payments_pool, service, [record, record])
    await apply(payments_pool, service, [record])
    assert await payments_pool.fetchval("SELECT count(*) FROM payments") == 1
    assert await payments_pool.fetchval("SELECT reserved_cents FROM budgets") == 50_000
    assert await statuses(payments_pool) == ["payment_scheduled", "payment_sent"]


async def test_a_second_claim_of_the_same_company_is_not_paid(payments_pool: asyncpg.Pool) -> None:
    service = PaymentsService(programmes={BASE.id: BASE})
    async with payments_pool.acquire() as conn:
        await service.open_envelopes(conn)
    await apply(payments_pool, service, [approval(1, siren="642515712"), approval(2, siren="642515712")])
    assert await payments_pool.fetchval("SELECT count(*) FROM payments") == 1
    assert await payments_pool.fetchval("SELECT reserved_cents FROM budgets") == 50_000


async def test_the_database_itself_refuses_an_overshoot(payments_pool: asyncpg.Pool) -> None:
    service = PaymentsService(programmes={BASE.id: SMALL})
    async with payments_pool.acquire() as conn:
        await service.open_envelopes(conn)
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute("UPDATE budgets SET reserved_cents = total_cents + 1")
