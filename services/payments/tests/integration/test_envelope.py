"""The money path on real PostgreSQL: the envelope is never exceeded (even by two instances at once), the rest
waits in line, batches become SEPA files, reports settle or return payments, new bank details re-issue them, and
an expired return frees its money for the oldest waiting claim."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import uuid
from pathlib import Path

import asyncpg
import pytest

from guichet_common.contracts import ClaimBankDetailsV1, ClaimDecidedV1, PaymentSettlementV1
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.settings import project_root
from guichet_common.unit_of_work import open_unit_of_work
from guichet_payments import sepa
from guichet_payments.batching import Batcher
from guichet_payments.service import PaymentsService
from guichet_payments.settlement import SettlementService, decode_bank_details, decode_settlement
from guichet_payments.unit_of_work import PaymentsUnitOfWork
from guichet_programme import load_programme

pytestmark = pytest.mark.integration
BASE = load_programme(project_root() / "programmes" / "cheque-france-num-2021.toml")
SMALL = BASE.model_copy(update={"budget": BASE.budget.model_copy(update={"total_cents": 3 * 50_000 + 49_999})})
PARIS = dt.timezone(dt.timedelta(hours=1))
T0 = dt.datetime(2021, 3, 2, 10, tzinfo=PARIS)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def approval(n: int, siren: str | None = None) -> InboundRecord:
    event = ClaimDecidedV1(
        event_id=uuid.uuid4(),
        occurred_at=T0,
        correlation_id=uuid.uuid4(),
        claim_id=f"CFN-TEST-{n:07d}",
        programme=BASE.id,
        siren=siren or f"{100000000 + n}",
        decision="approved",
        rule_version="2021-01-28",
        grant_amount_cents=50_000,
        submitted_at=T0 + dt.timedelta(seconds=n),
        beneficiary_name="BOUTIQUE TEST",
        iban="FR7693233145437431125912957",
    )
    return InboundRecord("eligibility.decisions.v1", 0, n, event.siren.encode(), event.model_dump_json().encode())


def report(payment_id: str, attempt: int, status: str, reason: str | None = None) -> InboundRecord:
    event = PaymentSettlementV1(
        event_id=uuid.uuid4(),
        occurred_at=T0,
        payment_id=payment_id,
        status=status,
        attempt=attempt,
        return_reason_code=reason,
    )
    return InboundRecord("payments.settlements.v1", 0, 0, payment_id.encode(), event.model_dump_json().encode())


def bank_details(claim_id: str) -> InboundRecord:
    event = ClaimBankDetailsV1(
        event_id=uuid.uuid4(),
        occurred_at=T0,
        claim_id=claim_id,
        iban="FR7630006000011234567890189",
        holder_name="BOUTIQUE TEST",
    )
    return InboundRecord("claims.bank-details.v1", 0, 0, claim_id.encode(), event.model_dump_json().encode())


async def run(pool: asyncpg.Pool, job, *args) -> object:
    """A use case or a background job in one committed unit of work, as the service runs it."""
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        done = await job(uow, *args)
        await uow.commit()
        return done


DECODERS = {
    "eligibility.decisions.v1": contract(ClaimDecidedV1),
    "payments.settlements.v1": decode_settlement,
    "claims.bank-details.v1": decode_bank_details,
}


async def consume(pool: asyncpg.Pool, use_case, records: list[InboundRecord]) -> None:
    """One batch of records, as the consumer hands it over: decoded as their topic says, through the inbox, to
    `use_case`, in one committed unit of work."""
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        await Subscription(use_case, DECODERS[records[0].topic]).apply(uow, records)


async def statuses(pool: asyncpg.Pool) -> list[tuple[str, str, list[str]]]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE topic = 'claims.status.v1' ORDER BY id")
    return [(v["claim_id"], v["status"], v["reasons"]) for v in (json.loads(r["value"]) for r in rows)]


async def issued(pool: asyncpg.Pool) -> list[dict]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE topic = 'payments.issued.v1' ORDER BY id")
    return [json.loads(r["value"]) for r in rows]


async def budget(pool: asyncpg.Pool) -> dict:
    return dict(await pool.fetchrow("SELECT total_cents, reserved_cents, paid_cents, released_cents FROM budgets"))


async def open_envelope(pool: asyncpg.Pool, programme=BASE, clock=None) -> PaymentsService:
    service = PaymentsService(programmes={BASE.id: programme}, clock=clock or Clock())
    await run(pool, service.open_envelopes)
    return service


async def test_two_instances_at_once_never_exceed_the_envelope(payments_pool: asyncpg.Pool) -> None:
    first = await open_envelope(payments_pool, SMALL)
    second = dataclasses.replace(first)  # another instance: same database, its own transactions
    records = [approval(n) for n in range(20)]
    await asyncio.gather(
        *(
            consume(payments_pool, (first if i % 4 else second).apply_approvals, records[i : i + 2])
            for i in range(0, 20, 2)
        )
    )
    assert (await budget(payments_pool))["reserved_cents"] == 150_000
    assert await payments_pool.fetchval("SELECT count(*) FROM payments") == 3 == (SMALL.budget.total_cents // 50_000)
    waiting = await payments_pool.fetch("SELECT submitted_at FROM waitlist ORDER BY submitted_at, claim_id")
    assert len(waiting) == 17
    assert [s for _, s, _ in await statuses(payments_pool)].count("waitlisted") == 17


async def test_a_redelivered_approval_pays_once_and_a_company_once(payments_pool: asyncpg.Pool) -> None:
    service = await open_envelope(payments_pool)
    record = approval(1)
    await consume(payments_pool, service.apply_approvals, [record, record])
    await consume(payments_pool, service.apply_approvals, [record, approval(2, siren=f"{100000000 + 1}")])
    assert await payments_pool.fetchval("SELECT count(*) FROM payments") == 1
    assert (await budget(payments_pool))["reserved_cents"] == 50_000
    assert [s for _, s, _ in await statuses(payments_pool)] == ["payment_scheduled"]


async def test_the_whole_loop_batch_settle_return_reissue_expire_promote(
    payments_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    clock = Clock()
    payments = await open_envelope(payments_pool, SMALL, clock)
    settlements = SettlementService(payments)
    batcher = Batcher({BASE.id: SMALL}, tmp_path, max_size=10, max_age=dt.timedelta(seconds=5), clock=clock)
    await consume(payments_pool, payments.apply_approvals, [approval(n) for n in range(1, 6)])  # 3 paid, 2 wait
    assert await run(payments_pool, batcher.close_due_batches) == 0  # neither full nor old yet
    clock.now += dt.timedelta(seconds=6)
    assert await run(payments_pool, batcher.close_due_batches) == 1
    [batch] = await payments_pool.fetch("SELECT * FROM batches")
    xml = Path(batch["file_path"]).read_bytes()
    assert (
        (sepa.control_sum_cents(xml), sepa.transaction_count(xml))
        == (150_000, 3)
        == (batch["control_sum_cents"], batch["transfer_count"])
    )
    first = await issued(payments_pool)
    assert [p["attempt"] for p in first] == [1, 1, 1] and all(p["batch_id"] == batch["batch_id"] for p in first)

    paid, returned, third = (p["payment_id"] for p in first)
    await consume(
        payments_pool, settlements.apply_settlements, [report(paid, 1, "settled"), report(paid, 1, "settled")]
    )
    await consume(payments_pool, settlements.apply_settlements, [report(returned, 1, "returned", "AC04")])
    assert (await budget(payments_pool))["paid_cents"] == 50_000
    returned_claim = next(p["claim_id"] for p in first if p["payment_id"] == returned)
    assert (returned_claim, "payment_returned", ["AC04"]) in await statuses(payments_pool)

    # New bank details: the same payment goes out again, attempt 2, with its own EndToEndId.
    await consume(payments_pool, settlements.apply_bank_details, [bank_details(returned_claim)])
    clock.now += dt.timedelta(seconds=6)
    await run(payments_pool, batcher.close_due_batches)
    again = (await issued(payments_pool))[-1]
    assert (again["payment_id"], again["attempt"], again["end_to_end_id"]) == (returned, 2, returned + "-2")
    await consume(payments_pool, settlements.apply_settlements, [report(returned, 2, "settled")])

    # The third is returned and nobody sends new details: after 60 days its money goes to the oldest waiting.
    await consume(payments_pool, settlements.apply_settlements, [report(third, 1, "returned", "AC01")])
    clock.now += dt.timedelta(days=59)
    assert await run(payments_pool, settlements.release_expired_returns) == 0
    clock.now += dt.timedelta(days=2)
    assert await run(payments_pool, settlements.release_expired_returns) == 1
    promoted = (await statuses(payments_pool))[-1]
    assert promoted[:2] == ("CFN-TEST-0000004", "payment_scheduled")  # the oldest of the two waiting
    money = await budget(payments_pool)
    assert money == {"total_cents": 199_999, "reserved_cents": 150_000, "paid_cents": 100_000, "released_cents": 50_000}
    assert await payments_pool.fetchval("SELECT count(*) FROM waitlist") == 1


async def test_an_unknown_payment_report_is_dead_lettered(payments_pool: asyncpg.Pool) -> None:
    settlements = SettlementService(await open_envelope(payments_pool))
    await consume(payments_pool, settlements.apply_settlements, [report("P-NOPE", 1, "settled")])
    assert await payments_pool.fetchval("SELECT count(*) FROM outbox WHERE topic = 'payments.settlements.v1.dlq'") == 1


async def test_one_batch_larger_than_the_envelope_pays_the_first_in_order_and_queues_the_rest(
    payments_pool: asyncpg.Pool,
) -> None:
    service = await open_envelope(payments_pool, SMALL)
    await consume(payments_pool, service.apply_approvals, [approval(n) for n in range(1, 8)])
    assert [(c[-1], s) for c, s, _ in await statuses(payments_pool)] == [
        *((str(n), "payment_scheduled") for n in range(1, 4)),
        *((str(n), "waitlisted") for n in range(4, 8)),
    ]
    assert (await budget(payments_pool))["reserved_cents"] == 150_000
