"""Payments on real PostgreSQL: a bank-details or settlement record whose identifier PostgreSQL cannot take (a NUL,
or an attempt number past `int`) is dead-lettered with its own reason before any SQL, and the records beside it in
the batch are applied. They used to fail the whole batch (asyncpg's CharacterNotInRepertoireError), which the
consumer then split and retried one by one until the record ended as a generic "handler error"."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import asyncpg
import pytest

from guichet_common.contracts import ClaimDecidedV1
from guichet_common.outbox import queued_messages
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.settings import project_root
from guichet_common.unit_of_work import open_unit_of_work
from guichet_payments.service import PaymentsService
from guichet_payments.settlement import SettlementService, decode_bank_details, decode_settlement
from guichet_payments.unit_of_work import PaymentsUnitOfWork
from guichet_programme import load_programme

pytestmark = pytest.mark.integration
PROGRAMME = load_programme(project_root() / "programmes" / "cheque-france-num-2021.toml")
T0 = dt.datetime(2021, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))
RETURNED_CLAIM, SENT_CLAIM = "CFN-HOST-0000001", "CFN-HOST-0000002"


def approval(n: int) -> InboundRecord:
    event = ClaimDecidedV1(
        event_id=uuid.uuid4(),
        occurred_at=T0,
        correlation_id=uuid.uuid4(),
        claim_id=f"CFN-HOST-{n:07d}",
        programme=PROGRAMME.id,
        siren=f"{300000000 + n}",
        decision="approved",
        rule_version="2021-01-28",
        grant_amount_cents=50_000,
        submitted_at=T0 + dt.timedelta(seconds=n),
        beneficiary_name="BOUTIQUE TEST",
        iban=f"FR763000400003123456789014{n + 2}",
    )
    return InboundRecord("eligibility.decisions.v1", 0, n, event.siren.encode(), event.model_dump_json().encode())


def record(topic: str, offset: int, **fields: Any) -> InboundRecord:
    value = {"event_id": str(uuid.uuid4()), "occurred_at": T0.isoformat(), **fields}
    return InboundRecord(topic, 0, offset, b"k", json.dumps(value).encode())


def settlement(offset: int, payment_id: str, status: str, attempt: int = 1, **more: Any) -> InboundRecord:
    return record("payments.settlements.v1", offset, payment_id=payment_id, status=status, attempt=attempt, **more)


def bank_details(offset: int, claim_id: str) -> InboundRecord:
    fields = {"claim_id": claim_id, "iban": "FR7630006000011234567890189", "holder_name": "BOUTIQUE TEST"}
    return record("claims.bank-details.v1", offset, **fields)


DECODERS = {
    "eligibility.decisions.v1": contract(ClaimDecidedV1),
    "payments.settlements.v1": decode_settlement,
    "claims.bank-details.v1": decode_bank_details,
}


async def run(pool: asyncpg.Pool, use_case, *records: InboundRecord) -> None:
    """One batch, as the consumer hands it over: raising here is what made the consumer split and retry it."""
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        await Subscription(use_case, DECODERS[records[0].topic]).apply(uow, list(records))


async def payment_of(pool: asyncpg.Pool, claim_id: str) -> asyncpg.Record:
    return await pool.fetchrow("SELECT payment_id, status, attempt FROM payments WHERE claim_id = $1", claim_id)


async def dead_letter_reasons(pool: asyncpg.Pool, topic: str) -> list[str]:
    async with pool.acquire() as conn:
        rows = await queued_messages(conn, topic + ".dlq")
    return [dict(r.headers)["dlq.reason"].decode() for r in rows]


@pytest.fixture
async def settlements(payments_pool: asyncpg.Pool) -> SettlementService:
    """Two approved claims whose payments are in a written SEPA file; the first one's came back (AC04)."""
    payments = PaymentsService(programmes={PROGRAMME.id: PROGRAMME}, clock=lambda: T0)
    service = SettlementService(payments)
    async with open_unit_of_work(payments_pool, PaymentsUnitOfWork) as uow:
        await payments.open_envelopes(uow)
        await uow.commit()
    await run(payments_pool, payments.apply_approvals, approval(1), approval(2))
    async with payments_pool.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE payment_attempts SET status = 'sent'")
        await conn.execute("UPDATE payments SET status = 'sent'")
    returned = (await payment_of(payments_pool, RETURNED_CLAIM))["payment_id"]
    await run(payments_pool, service.apply_settlements, settlement(0, returned, "returned", return_reason_code="AC04"))
    return service


@pytest.mark.parametrize("claim_id", [RETURNED_CLAIM + "\x00", "\x00", "CFN-HOST-\x1b0000001", RETURNED_CLAIM + "\n"])
async def test_bank_details_whose_claim_id_holds_a_control_character_are_dead_lettered_and_the_batch_goes_on(
    payments_pool: asyncpg.Pool, settlements: SettlementService, claim_id: str
) -> None:
    await run(payments_pool, settlements.apply_bank_details, bank_details(1, claim_id), bank_details(2, RETURNED_CLAIM))
    assert await dead_letter_reasons(payments_pool, "claims.bank-details.v1") == ["claim_id holds a control character"]
    assert tuple(await payment_of(payments_pool, RETURNED_CLAIM))[1:] == ("scheduled", 2)  # issued again


@pytest.mark.parametrize(
    ("hostile", "reason"),
    [
        ({"payment_id": "P\x00"}, "payment_id holds a control character"),
        ({"payment_id": "\x00"}, "payment_id holds a control character"),
        ({"end_to_end_id": "E2E\x00"}, "end_to_end_id holds a control character"),
        ({"attempt": 2**31}, "attempt 2147483648 is beyond any attempt payments makes"),
    ],
)
async def test_a_settlement_postgresql_cannot_look_up_is_dead_lettered_and_the_batch_goes_on(
    payments_pool: asyncpg.Pool, settlements: SettlementService, hostile: dict[str, Any], reason: str
) -> None:
    sent = (await payment_of(payments_pool, SENT_CLAIM))["payment_id"]
    bad = settlement(1, **{"payment_id": sent, "status": "settled", **hostile})
    await run(payments_pool, settlements.apply_settlements, bad, settlement(2, sent, "settled"))
    assert await dead_letter_reasons(payments_pool, "payments.settlements.v1") == [reason]
    assert (await payment_of(payments_pool, SENT_CLAIM))["status"] == "settled"
