"""A pain.002 rejecting a whole file (`bank_files.file_rejection.reject_file`), on PostgreSQL: each of the batch's
attempts still `sent` becomes `rejected`, its payment is scheduled again with a new attempt (same payee, new
EndToEndId) that goes into the next file, the batch records the rejection, and the claim is announced
`payment_scheduled` with BANK_FILE_REJECTED. An attempt already reported on is left alone; an unknown batch is
None."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import asyncpg
import pytest

from guichet_common.contracts import ClaimDecidedV1, PaymentSettlementV1
from guichet_common.outbox import OutboxMessage
from guichet_common.pipeline import Subscription, contract
from guichet_common.settings import project_root
from guichet_common.unit_of_work import open_unit_of_work
from guichet_payments.bank_files.file_rejection import reject_file
from guichet_payments.batching import Batcher
from guichet_payments.service import PaymentsService
from guichet_payments.settlement import SettlementService
from guichet_payments.unit_of_work import PaymentsUnitOfWork
from guichet_programme import Programme, load_programme

from .test_poison_attempts import PROGRAMME, Clock, approval, run, statuses

pytestmark = pytest.mark.integration


@pytest.fixture
def programmes() -> dict[str, Programme]:
    return {PROGRAMME: load_programme(project_root() / "programmes" / f"{PROGRAMME}.toml")}


async def sent_batch(
    pool: asyncpg.Pool,
    programmes,
    tmp_path: Path,
    claims: tuple[int, ...],
) -> tuple[PaymentsService, Batcher, str]:
    """The claims approved, paid from the envelope, and sent in one SEPA file; returns its batch id."""
    clock = Clock()
    payments = PaymentsService(programmes=programmes, clock=clock)
    await run(pool, payments.open_envelopes)
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        await Subscription(payments.apply_approvals, contract(ClaimDecidedV1)).apply(uow, [approval(n) for n in claims])
    clock.now += dt.timedelta(seconds=10)
    batcher = Batcher(programmes, tmp_path, max_size=50, clock=clock)
    assert await run(pool, batcher.close_due_batches) == 1
    batch_id = await pool.fetchval("SELECT batch_id FROM batches")
    return payments, batcher, batch_id


async def attempt_of_claim(pool: asyncpg.Pool, n: int, attempt: int = 1) -> asyncpg.Record:
    return await pool.fetchrow(
        "SELECT a.* FROM payment_attempts a JOIN payments p USING (payment_id)"
        " WHERE p.claim_id = $1 AND a.attempt = $2",
        f"CFN-POISON-{n:07d}",
        attempt,
    )


async def report(pool: asyncpg.Pool, payments: PaymentsService, n: int, status: str, **fields: object) -> None:
    found = await attempt_of_claim(pool, n)
    settlement = PaymentSettlementV1.model_validate(
        {"event_id": uuid.uuid4(), "occurred_at": dt.datetime.now(dt.UTC), "status": status, "attempt": 1}
        | {"payment_id": found["payment_id"]}
        | fields,
        strict=False,
    )

    async def apply(uow: PaymentsUnitOfWork) -> None:
        published = await SettlementService(payments).apply_settlements(uow, [settlement])
        uow.publish([message for message in published if isinstance(message, OutboxMessage)])

    await run(pool, apply)


async def test_a_rejected_file_sends_its_unreported_payments_again_in_the_next_file(
    payments_pool: asyncpg.Pool,
    programmes,
    tmp_path: Path,
) -> None:
    payments, batcher, batch_id = await sent_batch(payments_pool, programmes, tmp_path, (1, 2))
    await report(payments_pool, payments, 1, "settled")  # reported before the rejection came: left alone
    first = await attempt_of_claim(payments_pool, 2)

    async def rejection(uow: PaymentsUnitOfWork) -> object:
        announced = await reject_file(uow, payments, batch_id, "FF01")
        uow.publish(announced or [])
        return announced

    announced = await run(payments_pool, rejection)
    assert announced is not None and len(announced) == 1
    batch = await payments_pool.fetchrow(
        "SELECT rejected_at, rejection_reason FROM batches WHERE batch_id = $1", batch_id
    )
    assert batch["rejected_at"] is not None and batch["rejection_reason"] == "FF01"
    assert (await attempt_of_claim(payments_pool, 1))["status"] == "settled"
    assert (await attempt_of_claim(payments_pool, 2))["status"] == "rejected"
    second = await attempt_of_claim(payments_pool, 2, attempt=2)
    assert (second["status"], second["batch_id"], second["iban"], second["beneficiary_name"]) == (
        "scheduled",
        None,
        first["iban"],
        first["beneficiary_name"],
    )
    assert second["end_to_end_id"] == f"{first['payment_id']}-2" != first["end_to_end_id"]
    payment = await payments_pool.fetchrow(
        "SELECT status, attempt FROM payments WHERE payment_id = $1", first["payment_id"]
    )
    assert dict(payment) == {"status": "scheduled", "attempt": 2}
    rescheduled = [s for s in await statuses(payments_pool) if s[0] == "CFN-POISON-0000002"][-1]
    assert rescheduled == ("CFN-POISON-0000002", "payment_scheduled", ["BANK_FILE_REJECTED"])
    envelope = await payments_pool.fetchrow("SELECT reserved_cents, paid_cents FROM budgets")
    assert (envelope["reserved_cents"], envelope["paid_cents"]) == (100_000, 50_000)  # still reserved, not paid

    batcher.clock.now += dt.timedelta(minutes=10)
    assert await run(payments_pool, batcher.close_due_batches) == 1
    resent = await attempt_of_claim(payments_pool, 2, attempt=2)
    assert resent["status"] == "sent" and resent["batch_id"] not in (None, batch_id)


async def test_a_batch_payments_never_wrote_is_none_and_changes_nothing(
    payments_pool: asyncpg.Pool,
    programmes,
    tmp_path: Path,
) -> None:
    payments, _, batch_id = await sent_batch(payments_pool, programmes, tmp_path, (1,))

    async def rejection(uow: PaymentsUnitOfWork) -> object:
        return await reject_file(uow, payments, "NOT-OURS-20210302", None)

    assert await run(payments_pool, rejection) is None
    assert (await attempt_of_claim(payments_pool, 1))["status"] == "sent"
    assert await payments_pool.fetchval("SELECT rejected_at FROM batches WHERE batch_id = $1", batch_id) is None
