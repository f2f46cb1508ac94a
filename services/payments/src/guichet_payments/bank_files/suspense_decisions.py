"""Finance's decisions on a bank entry in suspense (set-aside kind `bank_entry`, item id = the entry's id), applied
by `guichet_payments.decisions` in the transaction that records the decision:

- settle (release): the entry's effect is applied at once, through `SettlementService`, to the attempt the operator
  names (`assign_to`, `<payment_id>:<attempt>`), or else to the one its own references match (its EndToEndId, or
  exactly one attempt of its amount to its account). A booking settles the attempt, a return or rejection returns
  it; a whole-file rejection is applied to its batch again, a whole-batch debit to its batch's attempts. Refused,
  changing nothing, when the attempt is in a state the effect cannot apply to.
- discard (cancel): the entry is left aside for good (`discarded`).

Who decided, why and when are stored on the entry as the set-aside decision recorded them.
"""

from __future__ import annotations

import uuid

from guichet_common.contracts import PaymentSettlementV1
from guichet_common.outbox import OutboxMessage
from guichet_payments.bank_files.file_rejection import reject_file
from guichet_payments.bank_files.matching import REASON_CODE
from guichet_payments.bank_files.suspense import BANK_ENTRY, bank_settlement_event_id
from guichet_payments.bank_files.suspense_repository import SUSPENSE, EntryDecision, HeldEntry
from guichet_payments.service import PaymentsService
from guichet_payments.settlement import Outcome, SettlementService
from guichet_payments.unit_of_work import PaymentsWork

SETTLED, DISCARDED = "settled", "discarded"
_BOOKINGS = ("booked", "batch_booked")


class EntryDecisionRefused(ValueError):
    """The decision cannot be applied to the entry: nothing is changed."""


async def settle(uow: PaymentsWork, payments: PaymentsService, entry_id: str, assign_to: str | None) -> str:
    """Apply the entry's effect (see the module); returns what was done, in words."""
    entry = await _in_suspense(uow, entry_id)
    if entry.effect == "file_rejected" or (entry.effect == "batch_booked" and assign_to is None):
        if assign_to is not None:
            raise EntryDecisionRefused("a whole-file rejection applies to its batch, not to one attempt")
        return await _settle_batch(uow, payments, entry)
    if assign_to is not None:
        payment_id, attempt = _attempt_named(assign_to)
        matched_by = "operator"
    else:
        payment_id, attempt, matched_by = await _matched(uow, entry)
    done = await _apply(uow, payments, entry, payment_id, attempt)
    await _record(uow, entry, SETTLED, payment_id, attempt, matched_by, done)
    return f"applied to attempt {payment_id}:{attempt}"


async def discard(uow: PaymentsWork, entry_id: str) -> str:
    """Leave the entry aside for good; returns what was done, in words."""
    entry = await _in_suspense(uow, entry_id)
    await _record(uow, entry, DISCARDED)
    return "discarded: it changes no payment"


async def _apply(
    uow: PaymentsWork, payments: PaymentsService, entry: HeldEntry, payment_id: str, attempt: int
) -> uuid.UUID:
    status = "settled" if entry.effect in _BOOKINGS else "returned"
    event_id = bank_settlement_event_id(payment_id, attempt, status, entry.bank_reference or entry.entry_id)
    other = await uow.suspense.entry_of_settlement(event_id)
    if other is not None and other != entry.entry_id:
        raise EntryDecisionRefused(f"attempt {payment_id}:{attempt} was already {status} by bank entry {other}")
    report = PaymentSettlementV1.model_validate(
        {
            "event_id": event_id,
            "occurred_at": payments.clock(),
            "payment_id": payment_id,
            "attempt": attempt,
            "status": status,
            "return_reason_code": entry.reason_code
            if status == "returned" and _is_iso_code(entry.reason_code)
            else None,
        },
        strict=False,
    )
    changed: set[str] = set()
    outcome, published = await SettlementService(payments).apply_report(uow, report, changed)
    if outcome is not Outcome.APPLIED:
        raise EntryDecisionRefused(await _why_not(uow, payment_id, attempt, status, outcome))
    uow.publish([message for message in published if isinstance(message, OutboxMessage)])
    uow.publish(await payments.envelopes(uow, changed))
    return event_id


async def _settle_batch(uow: PaymentsWork, payments: PaymentsService, entry: HeldEntry) -> str:
    if not entry.batch_reference:
        raise EntryDecisionRefused(f"bank entry {entry.entry_id} names no batch: settle it to one attempt (assign_to)")
    if entry.effect == "file_rejected":
        announced = await reject_file(uow, payments, entry.batch_reference, entry.reason_code)
        if announced is None:
            raise EntryDecisionRefused(f"payments wrote no batch {entry.batch_reference}")
        uow.publish(announced)
        await _record(uow, entry, SETTLED, matched_by="batch")
        return f"file {entry.batch_reference} rejected: {len(announced)} payment(s) scheduled again"
    sent = await uow.payments.still_sent_in_batch(entry.batch_reference) or []
    if not sent or sum(attempt.amount_cents for _, attempt in sent) != entry.amount_cents:
        raise EntryDecisionRefused(
            f"the debit is not the sum of the {len(sent)} attempt(s) of batch {entry.batch_reference} still in a file"
        )
    for _, attempt in sent:
        await _apply(uow, payments, entry, attempt.payment_id, attempt.number)
    await _record(uow, entry, SETTLED, matched_by="batch")
    return f"{len(sent)} attempt(s) of batch {entry.batch_reference} settled"


async def _matched(uow: PaymentsWork, entry: HeldEntry) -> tuple[str, int, str]:
    if entry.end_to_end_id:
        found = await uow.suspense.attempt_by_end_to_end_id(entry.end_to_end_id)
        if found is None:
            raise EntryDecisionRefused("its EndToEndId matches no attempt: name one (assign_to)")
        return found[0], found[1], "end_to_end_id"
    if entry.amount_cents is None or not entry.iban:
        raise EntryDecisionRefused("it carries neither an EndToEndId nor an amount and account: name an attempt")
    found_all = await uow.suspense.attempts_by_amount_and_account(entry.amount_cents, entry.iban, entry.remittance)
    if len(found_all) != 1:
        several = "several attempts" if found_all else "no attempt"
        raise EntryDecisionRefused(f"its amount and account match {several}: name one (assign_to)")
    return found_all[0][0], found_all[0][1], "amount_iban_remittance"


async def _why_not(uow: PaymentsWork, payment_id: str, attempt: int, status: str, outcome: Outcome) -> str:
    found = await uow.payments.attempt_of(payment_id, attempt)
    if outcome is Outcome.UNKNOWN or found is None:
        return f"no attempt {attempt} of payment {payment_id}"
    payment, current = found
    if outcome is Outcome.ALREADY_APPLIED:
        return f"attempt {payment_id}:{attempt} is already {status}"
    return (
        f"attempt {payment_id}:{attempt} is {current.status} (payment {payment.status}, current attempt"
        f" {payment.attempt}): it cannot be {status}"
    )


def _is_iso_code(code: str | None) -> bool:
    return code is not None and REASON_CODE.match(code) is not None


def _attempt_named(assign_to: str) -> tuple[str, int]:
    payment_id, _, number = assign_to.strip().rpartition(":")
    if not payment_id or not number.isdigit() or not 1 <= int(number) < 2**31:
        raise EntryDecisionRefused(f"{assign_to!r} is not <payment_id>:<attempt>")
    return payment_id, int(number)


async def _in_suspense(uow: PaymentsWork, entry_id: str) -> HeldEntry:
    entry = await uow.suspense.entry(entry_id)
    if entry is None or entry.state != SUSPENSE:
        raise EntryDecisionRefused(f"bank entry {entry_id} is not in suspense")
    return entry


async def _record(
    uow: PaymentsWork,
    entry: HeldEntry,
    state: str,
    payment_id: str | None = None,
    attempt: int | None = None,
    matched_by: str | None = None,
    settlement_event_id: uuid.UUID | None = None,
) -> None:
    decided = await uow.suspense.decision(BANK_ENTRY, entry.entry_id)
    if decided is None:
        raise EntryDecisionRefused(f"no decision recorded on bank entry {entry.entry_id}")
    decided_by, reason, decided_at = decided
    await uow.suspense.record_decision(
        entry.entry_id,
        EntryDecision(
            state,
            decided_by,
            reason,
            decided_at,
            payment_id,
            attempt,
            matched_by,
            settlement_event_id,
        ),
    )
