"""Finance's reports on the fake unit of work: the first report on an attempt in a file settles or returns it, a
repeated one changes nothing, one on an attempt payments never made is dead-lettered, and a record PostgreSQL could
not look up is dead-lettered before any query."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from structlog.testing import capture_logs

from guichet_common.contracts import PaymentSettlementV1
from guichet_common.pipeline import DeadLetter, Subscription, Undecodable
from guichet_common.records import InboundRecord
from guichet_payments.bank_files.suspense_repository import HeldEntry
from guichet_payments.domain import AttemptState, PaymentState
from guichet_payments.handlers import Handlers
from guichet_payments.service import PaymentsService
from guichet_payments.settlement import SettlementService, decode_settlement

from .fakes import (
    GRANT,
    PROGRAMME,
    T0,
    Clock,
    FakePaymentsUnitOfWork,
    dead_letter_reasons,
    seed_payment,
    statuses,
    values,
    with_envelope,
)

CLOCK = Clock(T0 + dt.timedelta(days=2))
SETTLEMENTS = SettlementService(PaymentsService(programmes={PROGRAMME.id: PROGRAMME}, clock=CLOCK))
HANDLERS = Handlers(SETTLEMENTS.payments, SETTLEMENTS)  # as subscribed: decoded records to the use case
TOPIC = "payments.settlements.v1"


def report(payment_id: str, status: str, attempt: int = 1, reason: str | None = None) -> PaymentSettlementV1:
    return PaymentSettlementV1(
        event_id=uuid.uuid4(),
        occurred_at=T0,
        payment_id=payment_id,
        status=status,
        attempt=attempt,
        return_reason_code=reason,
    )


def entry(entry_id: str, **fields: Any) -> HeldEntry:
    values = dict.fromkeys(HeldEntry.__dataclass_fields__) | {"entry_id": entry_id, "effect": "booked"}
    return HeldEntry(**(values | fields))


def record(offset: int, **fields: Any) -> InboundRecord:
    value = {"event_id": str(uuid.uuid4()), "occurred_at": T0.isoformat(), "status": "settled", "attempt": 1} | fields
    return InboundRecord(TOPIC, 0, offset, b"k", json.dumps(value).encode())


async def test_a_settled_attempt_pays_the_payment_and_the_claim_is_paid() -> None:
    uow = await with_envelope()
    payment, _ = await seed_payment(uow, 1)
    published = await SETTLEMENTS.apply_settlements(uow, [report(payment.payment_id, "settled")])
    assert statuses(published) == [(payment.claim_id, "paid", [])]
    assert uow.payments.payments[payment.payment_id].status == PaymentState.SETTLED
    assert uow.payments.attempts[(payment.payment_id, 1)].status == AttemptState.SETTLED
    assert uow.budgets.envelopes[PROGRAMME.id].paid_cents == GRANT


async def test_a_returned_attempt_waits_for_new_details_and_the_claim_is_told_why() -> None:
    uow = await with_envelope()
    payment, _ = await seed_payment(uow, 1)
    published = await SETTLEMENTS.apply_settlements(uow, [report(payment.payment_id, "returned", reason="AC04")])
    assert statuses(published) == [(payment.claim_id, "payment_returned", ["AC04"])]
    stored = uow.payments.payments[payment.payment_id]
    assert (stored.status, stored.return_reason, stored.returned_at) == (PaymentState.RETURNED, "AC04", CLOCK.now)
    assert uow.payments.attempts[(payment.payment_id, 1)].status == AttemptState.RETURNED
    assert uow.budgets.envelopes[PROGRAMME.id].paid_cents == 0


async def test_an_attempt_reported_twice_keeps_the_first_report() -> None:
    uow = await with_envelope()
    payment, _ = await seed_payment(uow, 1)
    with capture_logs() as logs:
        published = await SETTLEMENTS.apply_settlements(
            uow, [report(payment.payment_id, "settled"), report(payment.payment_id, "settled")]
        )
    assert [s for _, s, _ in statuses(published)] == ["paid"]
    assert [e["event"] for e in logs].count("settlement_already_applied") == 1
    assert uow.payments.payments[payment.payment_id].status == PaymentState.SETTLED
    assert uow.budgets.envelopes[PROGRAMME.id].paid_cents == GRANT


async def test_a_return_after_the_booking_takes_the_money_off_the_paid_figure_and_keeps_it_reserved() -> None:
    uow = await with_envelope()
    payment, _ = await seed_payment(uow, 1, status=PaymentState.SETTLED)
    await uow.budgets.add_paid(PROGRAMME.id, GRANT)
    published = await SETTLEMENTS.apply_settlements(uow, [report(payment.payment_id, "returned", reason="AC04")])
    assert statuses(published) == [(payment.claim_id, "payment_returned", ["AC04"])]
    assert uow.payments.attempts[(payment.payment_id, 1)].status == AttemptState.RETURNED
    assert uow.payments.payments[payment.payment_id].status == PaymentState.RETURNED
    envelope = uow.budgets.envelopes[PROGRAMME.id]
    assert (envelope.paid_cents, envelope.reserved_cents) == (0, GRANT)
    assert [v["paid_cents"] for v in values(published, "payments.budgets.v1")] == [0]


async def test_a_report_the_attempt_cannot_take_is_ignored_unless_a_bank_entry_made_it_then_it_goes_to_suspense() -> (
    None
):
    uow = await with_envelope()
    payment, _ = await seed_payment(uow, 1, status=PaymentState.RETURNED)
    from_finance, from_bank = report(payment.payment_id, "settled"), report(payment.payment_id, "settled")
    uow.suspense.entries["abc-0"] = entry("abc-0", state="reported")
    uow.suspense.settlement_events[from_bank.event_id] = "abc-0"
    published = await SETTLEMENTS.apply_settlements(uow, [from_finance, from_bank])
    assert statuses(published) == []
    assert uow.payments.attempts[(payment.payment_id, 1)].status == AttemptState.RETURNED
    assert uow.suspense.entries["abc-0"].state == "suspense"
    assert (
        uow.suspense.reasons["abc-0"] == f"settled reported on attempt {payment.payment_id}:1, which is not awaiting it"
    )
    assert list(uow.held) == [("bank_entry", "abc-0")]


async def test_a_report_on_an_attempt_never_made_is_handed_back_as_a_dead_letter() -> None:
    uow = await with_envelope()
    payment, _ = await seed_payment(uow, 1)
    unknown, second = report("P-NOPE", "settled"), report(payment.payment_id, "settled", attempt=2)
    published = await SETTLEMENTS.apply_settlements(uow, [unknown, second])
    assert published == [
        DeadLetter(unknown, "no attempt 1 of payment P-NOPE"),
        DeadLetter(second, f"no attempt 2 of payment {payment.payment_id}"),
    ]
    subscription = Subscription(HANDLERS.settlements_reported, decode_settlement)
    await subscription.apply(uow, [record(7, payment_id="P-NOPE")])
    assert dead_letter_reasons(uow, TOPIC) == ["no attempt 1 of payment P-NOPE"]


@pytest.mark.parametrize(
    ("hostile", "reason"),
    [
        ({"payment_id": "P\x00"}, "payment_id holds a control character"),
        ({"payment_id": "P\x1b[2J"}, "payment_id holds a control character"),
        ({"end_to_end_id": "E2E\x00"}, "end_to_end_id holds a control character"),
        ({"attempt": 2**31}, "attempt 2147483648 is beyond any attempt payments makes"),
    ],
)
async def test_a_report_postgresql_cannot_look_up_is_dead_lettered_before_any_query_and_the_batch_goes_on(
    hostile: dict[str, Any], reason: str
) -> None:
    uow = FakePaymentsUnitOfWork()
    await uow.budgets.ensure(PROGRAMME.id, PROGRAMME.budget.total_cents)
    payment, _ = await seed_payment(uow, 1)
    subscription = Subscription(HANDLERS.settlements_reported, decode_settlement)
    with capture_logs() as logs:
        await subscription.apply(
            uow, [record(1, **({"payment_id": payment.payment_id} | hostile)), record(2, payment_id=payment.payment_id)]
        )
    assert dead_letter_reasons(uow, TOPIC) == [reason]
    assert [e["reason"] for e in logs if e["event"] == "record_dead_lettered"] == [reason]
    assert uow.payments.payments[payment.payment_id].status == PaymentState.SETTLED


def test_a_report_that_does_not_fit_the_contract_is_undecodable() -> None:
    with pytest.raises(Undecodable, match="schema: status"):
        decode_settlement(record(1, payment_id="P-1", status="lost"))
