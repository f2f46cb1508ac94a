"""The return-expiry job on the fake unit of work: a payment returned longer ago than the programme allows gives its
reservation back, the oldest waiting claims are paid with it, and one whose expiry cannot be applied is set aside
without stopping the others."""

from __future__ import annotations

import dataclasses
import datetime as dt

from structlog.testing import capture_logs

from guichet_payments.domain import PaymentState
from guichet_payments.service import PaymentsService
from guichet_payments.settlement import SettlementService

from .fakes import GRANT, PROGRAMME, T0, Clock, approval, seed_payment, statuses, with_envelope

EXPIRY = dt.timedelta(days=PROGRAMME.payment.return_expiry_days)


def settlements(clock: Clock) -> SettlementService:
    return SettlementService(PaymentsService(programmes={PROGRAMME.id: PROGRAMME}, clock=clock))


async def test_an_expired_return_frees_its_money_for_the_oldest_waiting_claim() -> None:
    uow = await with_envelope(2 * GRANT)
    clock = Clock(T0)
    expired, _ = await seed_payment(uow, 1, status=PaymentState.RETURNED, returned_at=T0)
    recent, _ = await seed_payment(uow, 2, status=PaymentState.RETURNED, returned_at=T0 + dt.timedelta(days=2))
    job = settlements(clock)
    await job.payments.apply_approvals(uow, [approval(4), approval(3)])  # both wait; 3 was submitted first
    clock.now = T0 + EXPIRY - dt.timedelta(seconds=1)
    assert await job.release_expired_returns(uow) == 0
    clock.now = T0 + EXPIRY + dt.timedelta(days=1)
    with capture_logs() as logs:
        assert await job.release_expired_returns(uow) == 1
    assert uow.payments.payments[expired.payment_id].status == PaymentState.RELEASED
    assert uow.payments.payments[recent.payment_id].status == PaymentState.RETURNED
    assert statuses(uow.published) == [("CFN-UNIT-0000003", "payment_scheduled", [])]
    assert sorted(uow.waitlist.entries) == ["CFN-UNIT-0000004"]
    envelope = uow.budgets.envelopes[PROGRAMME.id]
    assert (envelope.reserved_cents, envelope.released_cents) == (2 * GRANT, GRANT)
    assert [e["event"] for e in logs if e["event"] != "payment_scheduled"] == [
        "reservation_released",
        "claim_promoted_from_waitlist",
    ]


async def test_a_return_whose_expiry_cannot_be_applied_is_set_aside_once_and_the_others_expire() -> None:
    uow = await with_envelope(2 * GRANT)
    poison, _ = await seed_payment(uow, 1, status=PaymentState.RETURNED, returned_at=T0 - dt.timedelta(days=1))
    fine, _ = await seed_payment(uow, 2, status=PaymentState.RETURNED, returned_at=T0)
    # Its amount exceeds what the envelope holds reserved (stored by some past bug): releasing it breaks the CHECK.
    uow.payments.payments[poison.payment_id] = dataclasses.replace(poison, amount_cents=10 * GRANT)
    job = settlements(Clock(T0 + EXPIRY + dt.timedelta(days=1)))
    with capture_logs() as logs:
        assert await job.release_expired_returns(uow) == 2
        assert await job.release_expired_returns(uow) == 0  # held: skipped from then on
    assert uow.payments.payments[fine.payment_id].status == PaymentState.RELEASED
    assert uow.payments.payments[poison.payment_id].expiry_set_aside
    [(kind, item_id)] = uow.held
    assert (kind, item_id) == ("return_expiry", poison.payment_id)
    assert uow.held[(kind, item_id)].startswith("CheckViolation")
    assert [e["item_id"] for e in logs if e["event"] == "item_set_aside"] == [poison.payment_id]
    assert uow.budgets.envelopes[PROGRAMME.id].released_cents == GRANT
