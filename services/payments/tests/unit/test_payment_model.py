"""A payment and its attempts move only along the paths the money takes; any other move is refused and changes
nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from guichet_payments.domain import Attempt, AttemptState, IllegalTransition, Payee, Payment, PaymentState

T0 = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)
PAYEE = Payee("BOUTIQUE TEST", "FR7693233145437431125912957", None)
NEW_PAYEE = Payee("BOUTIQUE TEST", "FR7630006000011234567890189", "AGRIFRPP")


def scheduled() -> tuple[Payment, Attempt]:
    return Payment.schedule(
        claim_id="CFN-1", programme="p", siren="123456789", amount_cents=50_000, submitted_at=T0, payee=PAYEE, now=T0
    )


def sent() -> tuple[Payment, Attempt]:
    payment, attempt = scheduled()
    return payment.send(attempt, "B-1")


def returned() -> tuple[Payment, Attempt]:
    payment, attempt = sent()
    return payment.record_return(attempt, "AC04", T0 + dt.timedelta(days=3))


def test_a_new_payment_is_scheduled_with_a_first_attempt_named_after_it() -> None:
    payment, attempt = scheduled()
    assert (payment.status, payment.attempt, attempt.status) == (PaymentState.SCHEDULED, 1, AttemptState.SCHEDULED)
    assert attempt.end_to_end_id == payment.payment_id and len(payment.payment_id) <= 31
    assert (attempt.amount_cents, attempt.payee, attempt.batch_id) == (50_000, PAYEE, None)
    assert attempt.item_id == f"{payment.payment_id}:1"


def test_sent_in_a_file_then_settled() -> None:
    payment, attempt = sent()
    assert (payment.status, attempt.status, attempt.batch_id) == (PaymentState.SENT, AttemptState.SENT, "B-1")
    assert attempt.awaits_report
    payment, attempt = payment.settle(attempt)
    assert (payment.status, attempt.status) == (PaymentState.SETTLED, AttemptState.SETTLED)
    assert not attempt.awaits_report


def test_returned_then_paid_again_with_a_new_attempt_to_new_details() -> None:
    payment, attempt = returned()
    assert (payment.status, attempt.status) == (PaymentState.RETURNED, AttemptState.RETURNED)
    assert (payment.return_reason, payment.returned_at) == ("AC04", T0 + dt.timedelta(days=3))
    later = T0 + dt.timedelta(days=5)
    again, second = payment.retry(NEW_PAYEE, later)
    assert (again.status, again.attempt, again.returned_at) == (PaymentState.SCHEDULED, 2, None)
    assert (second.number, second.status, second.payee, second.created_at) == (
        2,
        AttemptState.SCHEDULED,
        NEW_PAYEE,
        later,
    )
    assert second.end_to_end_id == f"{payment.payment_id}-2" and second.amount_cents == payment.amount_cents
    again, second = again.send(second, "B-2")
    assert again.settle(second)[0].status == PaymentState.SETTLED


def test_a_return_left_too_long_is_released_or_held_from_expiry() -> None:
    payment, _ = returned()
    assert payment.expire().status == PaymentState.RELEASED
    held = payment.hold_expiry()
    assert (held.status, held.expiry_set_aside) == (PaymentState.RETURNED, True)
    assert not held.resume_expiry().expiry_set_aside


def test_a_blocked_attempt_is_released_back_to_the_queue_or_cancelled_with_its_payment() -> None:
    payment, attempt = scheduled()
    blocked = attempt.blocked()
    assert blocked.status == AttemptState.BLOCKED
    assert blocked.unblocked().status == AttemptState.SCHEDULED
    released, cancelled = payment.cancel(blocked)
    assert (released.status, cancelled.status) == (PaymentState.RELEASED, AttemptState.CANCELLED)


def test_a_booked_attempt_may_still_come_back_as_a_return() -> None:
    payment, attempt = sent()
    payment, attempt = payment.settle(attempt)
    later = T0 + dt.timedelta(days=9)
    returned_, back = payment.record_return(attempt, "AC04", later)
    assert (returned_.status, back.status) == (PaymentState.RETURNED, AttemptState.RETURNED)
    assert (returned_.return_reason, returned_.returned_at) == ("AC04", later)


def test_a_rejected_file_sends_the_payment_again_to_the_same_payee_under_a_new_end_to_end_id() -> None:
    payment, attempt = sent()
    later = T0 + dt.timedelta(days=1)
    again, rejected, second = payment.resend_after_file_rejection(attempt, later)
    assert (rejected.number, rejected.status, rejected.batch_id) == (1, AttemptState.REJECTED, "B-1")
    assert (again.status, again.attempt, again.returned_at, again.return_reason) == (
        PaymentState.SCHEDULED,
        2,
        None,
        None,
    )
    assert (second.number, second.status, second.payee, second.created_at, second.batch_id) == (
        2,
        AttemptState.SCHEDULED,
        PAYEE,
        later,
        None,
    )
    assert second.end_to_end_id == f"{payment.payment_id}-2" != attempt.end_to_end_id
    assert second.amount_cents == payment.amount_cents
    again, second = again.send(second, "B-2")
    assert again.settle(second)[0].status == PaymentState.SETTLED


@pytest.mark.parametrize(
    "move",
    [
        pytest.param(lambda: scheduled()[0].settle(scheduled()[1]), id="settle a payment of another attempt"),
        pytest.param(lambda: (lambda p, a: p.settle(a))(*scheduled()), id="settle before it is sent"),
        pytest.param(lambda: (lambda p, a: p.record_return(a, None, T0))(*scheduled()), id="return before sent"),
        pytest.param(lambda: (lambda p, a: p.settle(a)[0].settle(a.settled()))(*sent()), id="settle twice"),
        pytest.param(lambda: (lambda p, a: p.send(a, "B-2"))(*sent()), id="send twice"),
        pytest.param(lambda: sent()[0].retry(NEW_PAYEE, T0), id="retry a payment not returned"),
        pytest.param(lambda: sent()[0].expire(), id="expire a payment not returned"),
        pytest.param(lambda: sent()[0].hold_expiry(), id="hold the expiry of a payment not returned"),
        pytest.param(lambda: sent()[0].resume_expiry(), id="resume the expiry of a payment not returned"),
        pytest.param(lambda: (lambda p, a: p.settle(a))(*returned()), id="settle a returned attempt"),
        pytest.param(
            lambda: (lambda p, a: p.retry(NEW_PAYEE, T0)[0].send(a, "B-2"))(*returned()),
            id="send the old attempt after a retry",
        ),
        pytest.param(lambda: (lambda p, a: p.cancel(a))(*scheduled()), id="cancel an attempt that is not blocked"),
        pytest.param(lambda: (lambda p, a: p.cancel(a.blocked()))(*sent()), id="block an attempt already sent"),
        pytest.param(lambda: scheduled()[1].unblocked(), id="unblock an attempt that is not blocked"),
        pytest.param(lambda: scheduled()[1].returned(), id="attempt returned before it is sent"),
        pytest.param(lambda: (lambda p, a: p.record_return(a, None, T0))(*returned()), id="return twice"),
        pytest.param(
            lambda: (lambda p, a: p.resend_after_file_rejection(a, T0))(*scheduled()), id="reject an unsent file"
        ),
        pytest.param(
            lambda: (lambda p, a: p.resend_after_file_rejection(a, T0))(*(lambda p, a: p.settle(a))(*sent())),
            id="reject the file of a settled attempt",
        ),
        pytest.param(lambda: (lambda p, a: p.resend_after_file_rejection(a, T0))(*returned()), id="reject a return"),
        pytest.param(lambda: scheduled()[1].rejected(), id="attempt rejected before it is sent"),
    ],
)
def test_a_move_the_state_does_not_allow_is_refused(move) -> None:
    with pytest.raises(IllegalTransition):
        move()


def test_a_refused_move_changes_nothing() -> None:
    payment, attempt = scheduled()
    with pytest.raises(IllegalTransition, match="payment P.* is scheduled: it cannot be settled"):
        payment.settle(attempt)
    assert (payment.status, attempt.status) == (PaymentState.SCHEDULED, AttemptState.SCHEDULED)
