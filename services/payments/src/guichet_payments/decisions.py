"""Use cases of an operator's decision on a payments item set aside (`guichet set-aside release|cancel`, through
`set_aside_repository`). Kinds owned here:

- `payment_attempt` (item id `<payment_id>:<attempt>`, blocked by the batcher because it cannot go into a SEPA
  file). Release: back to `scheduled`, in the next file; the portal is told the block is over (`payment_scheduled`
  without reason). Cancel: the attempt is `cancelled`, the payment `released`, its grant goes back to the envelope
  and to the oldest waiting claims, and the claim is announced `rejected` with `PAYMENT_CANCELLED`: the applicant
  will not be paid under this claim, and the portal and the e-mail must say so rather than leave it scheduled.
- `return_expiry` (item id `<payment_id>`, a returned payment whose expiry could not be applied). Release: the
  return-expiry job tries it again. Cancel: it is never expired automatically; it stays `returned`, holding its
  reservation, until new bank details re-issue it.
- `bank_entry` (item id: the entry's id, a bank entry in suspense). Release settles it: its effect is applied to
  the attempt `assign_to` names (`<payment_id>:<attempt>`), or to the one its own references match; refused when
  that attempt cannot take it. Cancel discards it. See `bank_files.suspense_decisions`.
- `recovery_order` (item id: the order's id, one the recovery follow-up job could not move). Release: the job tries
  it again. Cancel: the job leaves it alone for good (reminders and collection are then finance's, by hand); a
  repayment quoting its reference is still applied.
"""

from __future__ import annotations

import structlog

from guichet_payments.bank_files import suspense_decisions
from guichet_payments.bank_files.suspense import BANK_ENTRY
from guichet_payments.batching import PAYMENT_ATTEMPT
from guichet_payments.domain import Attempt, AttemptState, IllegalTransition, Payment, PaymentState
from guichet_payments.recovery.repository import SET_ASIDE_KIND as RECOVERY_ORDER
from guichet_payments.service import PaymentsService
from guichet_payments.settlement import RETURN_EXPIRY
from guichet_payments.unit_of_work import PaymentsWork

log = structlog.get_logger()
KINDS = (PAYMENT_ATTEMPT, RETURN_EXPIRY, BANK_ENTRY, RECOVERY_ORDER)
PAYMENT_CANCELLED = "PAYMENT_CANCELLED"


class NotSetAsideHere(ValueError):
    """The item is not in the state its set-aside record says (or not a payments kind): nothing is changed."""


async def release(
    uow: PaymentsWork, payments: PaymentsService, kind: str, item_id: str, assign_to: str | None = None
) -> str:
    """Put the item back in its job's queue (and say so to the portal), or settle a bank entry (to the attempt
    `assign_to` names, if given); returns what was done, in words."""
    if kind == BANK_ENTRY:
        try:
            return await suspense_decisions.settle(uow, payments, item_id, assign_to)
        except suspense_decisions.EntryDecisionRefused as refused:
            raise NotSetAsideHere(f"bank entry {item_id} cannot be settled: {refused}") from None
    if assign_to is not None:
        raise NotSetAsideHere(f"only a bank entry is assigned to an attempt, not a {kind}")
    if kind == PAYMENT_ATTEMPT:
        payment, attempt = await _blocked_attempt(uow, item_id)
        await uow.payments.record_attempt_status(attempt.unblocked())
        back = payments.announce.of_payment(
            payment, "payment_scheduled", payments.clock(), amount_cents=attempt.amount_cents
        )
        uow.publish([back])
        return "back in the queue of the next SEPA file"
    if kind == RETURN_EXPIRY:
        await uow.payments.record_expiry_held((await _returned(uow, item_id)).resume_expiry())
        return "back in the return-expiry job's queue"
    if kind == RECOVERY_ORDER:  # the job skips an order only while it is held (`RecoveryRepository.outstanding`)
        return "back in the recovery follow-up job's queue"
    raise NotSetAsideHere(f"payments owns no kind {kind!r}")


async def cancel(uow: PaymentsWork, payments: PaymentsService, kind: str, item_id: str) -> str:
    """Give the item up for good (and say so to the portal); returns what was done, in words."""
    if kind == BANK_ENTRY:
        try:
            return await suspense_decisions.discard(uow, item_id)
        except suspense_decisions.EntryDecisionRefused as refused:
            raise NotSetAsideHere(f"bank entry {item_id} cannot be discarded: {refused}") from None
    if kind == PAYMENT_ATTEMPT:
        payment, attempt = await _blocked_attempt(uow, item_id)
        try:
            released, cancelled = payment.cancel(attempt)
        except IllegalTransition:
            raise NotSetAsideHere(
                f"payment {payment.payment_id} is no longer waiting for attempt {attempt.number}"
            ) from None
        await uow.payments.record_attempt_status(cancelled)
        await uow.payments.record_status(released)
        await uow.budgets.release(released.programme, cancelled.amount_cents)
        rejected = payments.announce.of_payment(released, "rejected", payments.clock(), reasons=[PAYMENT_CANCELLED])
        uow.publish([rejected, *await payments.promote_waiting(uow, released.programme)])
        uow.publish(await payments.envelopes(uow, [released.programme]))
        log.info("payment_cancelled", claim_id=released.claim_id, payment_id=released.payment_id)
        return "cancelled; its grant went back to the envelope"
    if kind == RETURN_EXPIRY:
        await uow.payments.record_expiry_held((await _returned(uow, item_id)).hold_expiry())
        return "left returned, without expiry, until new bank details arrive"
    if kind == RECOVERY_ORDER:
        return "left to finance: the recovery follow-up job will not remind it nor pass it to collection"
    raise NotSetAsideHere(f"payments owns no kind {kind!r}")


async def _blocked_attempt(uow: PaymentsWork, item_id: str) -> tuple[Payment, Attempt]:
    payment_id, _, number = item_id.rpartition(":")
    if not payment_id or not number.isdigit():
        raise NotSetAsideHere(f"{item_id!r} is not <payment_id>:<attempt>")
    found = await uow.payments.attempt_of(payment_id, int(number))
    if found is None or found[1].status is not AttemptState.BLOCKED:
        raise NotSetAsideHere(f"attempt {item_id} is not blocked")
    return found


async def _returned(uow: PaymentsWork, payment_id: str) -> Payment:
    payment = await uow.payments.payment(payment_id)
    if payment is None or payment.status is not PaymentState.RETURNED:
        raise NotSetAsideHere(f"payment {payment_id} is not returned")
    return payment
