"""Operators' decisions on payments' set-aside items, on the fake unit of work: a blocked attempt is released back
to the batcher's queue or cancelled (its grant to the envelope and the waitlist, the claim rejected), a held
return expiry is given back to its job or kept; anything not in the state its set-aside record says is refused."""

from __future__ import annotations

import pytest

from guichet_payments import decisions
from guichet_payments.decisions import NotSetAsideHere
from guichet_payments.domain import AttemptState, PaymentState
from guichet_payments.service import PaymentsService

from .fakes import (
    GRANT,
    PROGRAMME,
    Clock,
    FakePaymentsUnitOfWork,
    approval,
    seed_payment,
    statuses,
)

PAYMENTS = PaymentsService(programmes={PROGRAMME.id: PROGRAMME}, clock=Clock())


async def blocked(total_cents: int = PROGRAMME.budget.total_cents) -> tuple[FakePaymentsUnitOfWork, str]:
    """A payment whose first attempt the batcher blocked; returns its item id."""
    uow = FakePaymentsUnitOfWork()
    await uow.budgets.ensure(PROGRAMME.id, total_cents)
    _, attempt = await seed_payment(uow, 1, status=PaymentState.SCHEDULED)
    await uow.payments.record_blocked(attempt.blocked())
    return uow, attempt.item_id


async def test_a_released_attempt_goes_back_to_the_batchers_queue_and_the_portal_is_told() -> None:
    uow, item_id = await blocked()
    assert (
        await decisions.release(uow, PAYMENTS, "payment_attempt", item_id) == "back in the queue of the next SEPA file"
    )
    [(payment_id, _)] = uow.payments.attempts
    assert uow.payments.attempts[(payment_id, 1)].status == AttemptState.SCHEDULED
    assert statuses(uow.published) == [("CFN-UNIT-0000001", "payment_scheduled", [])]


async def test_a_cancelled_attempt_gives_its_grant_to_the_oldest_waiting_claim_and_the_claim_is_rejected() -> None:
    uow, item_id = await blocked(total_cents=GRANT)
    await PAYMENTS.apply_approvals(uow, [approval(2)])  # waits: the envelope is spent
    await decisions.cancel(uow, PAYMENTS, "payment_attempt", item_id)
    payment_id = item_id.split(":")[0]
    assert uow.payments.payments[payment_id].status == PaymentState.RELEASED
    assert uow.payments.attempts[(payment_id, 1)].status == AttemptState.CANCELLED
    assert statuses(uow.published) == [
        ("CFN-UNIT-0000001", "rejected", ["PAYMENT_CANCELLED"]),
        ("CFN-UNIT-0000002", "payment_scheduled", []),
    ]
    envelope = uow.budgets.envelopes[PROGRAMME.id]
    assert (envelope.reserved_cents, envelope.released_cents) == (GRANT, GRANT)
    with pytest.raises(NotSetAsideHere, match="is not blocked"):
        await decisions.cancel(uow, PAYMENTS, "payment_attempt", item_id)


@pytest.mark.parametrize("item_id", ["nope", "P-1:x", "P-NOPE:1"])
async def test_an_item_that_is_not_a_blocked_attempt_is_refused(item_id: str) -> None:
    uow, _ = await blocked()
    with pytest.raises(NotSetAsideHere):
        await decisions.release(uow, PAYMENTS, "payment_attempt", item_id)
    assert uow.published == []


async def test_a_return_expiry_is_given_back_to_its_job_or_kept_held() -> None:
    uow = FakePaymentsUnitOfWork()
    await uow.budgets.ensure(PROGRAMME.id, PROGRAMME.budget.total_cents)
    payment, _ = await seed_payment(uow, 1, status=PaymentState.RETURNED)
    await uow.payments.record_expiry_held(payment.hold_expiry())
    await decisions.release(uow, PAYMENTS, "return_expiry", payment.payment_id)
    assert not uow.payments.payments[payment.payment_id].expiry_set_aside
    await decisions.cancel(uow, PAYMENTS, "return_expiry", payment.payment_id)
    assert uow.payments.payments[payment.payment_id].expiry_set_aside
    sent, _ = await seed_payment(uow, 2)
    with pytest.raises(NotSetAsideHere, match="is not returned"):
        await decisions.release(uow, PAYMENTS, "return_expiry", sent.payment_id)
    with pytest.raises(NotSetAsideHere, match="owns no kind"):
        await decisions.cancel(uow, PAYMENTS, "email", payment.payment_id)
