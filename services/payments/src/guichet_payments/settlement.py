"""Finance's reports (and those payments makes from the bank's own files), applicants' new bank details and the
expiry of returned payments.

A settled payment is paid; a return may follow its booking (the paid figure goes down, the reservation stays); a
returned one waits for new bank details (then it is issued again with attempt + 1)
or, after the programme's expiry, gives its reservation back to the waitlist.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import structlog
from pydantic import BaseModel

from guichet_common.contracts import ClaimBankDetailsV1, PaymentSettlementV1
from guichet_common.outbox import OutboxMessage
from guichet_common.pipeline import DeadLetter, Published, Undecodable, contract
from guichet_common.records import InboundRecord
from guichet_common.safe_text import has_unsafe_characters
from guichet_payments.bank_details import apply_new_details
from guichet_payments.bank_files.suspense import hold_in_suspense
from guichet_payments.domain import AttemptState, IllegalTransition, Payment
from guichet_payments.service import PaymentsService
from guichet_payments.unit_of_work import PaymentsWork

log = structlog.get_logger()
RETURN_EXPIRY = "return_expiry"  # the set-aside kind of a returned payment whose expiry could not be applied
MAX_ATTEMPT = 2**31 - 1  # payment_attempts.attempt is an `int`: asyncpg refuses to send a larger number
E = TypeVar("E", bound=BaseModel)
_SAME_OUTCOME = {"settled": AttemptState.SETTLED, "returned": AttemptState.RETURNED}


class Outcome(enum.StrEnum):
    """What became of one report."""

    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"  # the attempt already had that outcome
    WRONG_STATE = "wrong_state"  # the attempt's state does not allow it (not in a file, rejected, returned...)
    UNKNOWN = "unknown"  # payments never made that attempt


@dataclass(frozen=True)
class SettlementService:
    payments: PaymentsService

    async def apply_settlements(self, uow: PaymentsWork, reports: Sequence[PaymentSettlementV1]) -> list[Published]:
        """Apply finance's reports in order: the first report on an attempt in a file settles or returns it, and a
        return may still follow a booking; the same outcome reported again is ignored. A report the attempt's state
        does not allow is ignored too, unless it was made from a bank entry: that entry goes to suspense, for finance
        to decide. A report on an attempt payments never made goes back as a dead letter."""
        published: list[Published] = []
        changed: set[str] = set()  # the envelopes whose paid figure moved
        for report in reports:
            outcome, out = await self.apply_report(uow, report, changed)
            if outcome is Outcome.WRONG_STATE:
                out = await self._wrong_state(uow, report)
            published += out
        return published + await self.payments.envelopes(uow, changed)

    async def apply_report(
        self, uow: PaymentsWork, report: PaymentSettlementV1, changed: set[str]
    ) -> tuple[Outcome, list[Published]]:
        """One report on its attempt, and what came of it; `changed` gathers the envelopes whose paid figure moved.
        Also how an operator's decision on a bank entry in suspense is applied (`bank_files.suspense`)."""
        found = await uow.payments.attempt_for_report(report.payment_id, report.attempt)
        if found is None:
            return Outcome.UNKNOWN, [DeadLetter(report, f"no attempt {report.attempt} of payment {report.payment_id}")]
        payment, attempt = found
        if attempt.status == _SAME_OUTCOME[report.status]:
            # Reported twice (a statement repeating a notification): the first report stands.
            log.info("settlement_already_applied", payment_id=report.payment_id, attempt=report.attempt)
            return Outcome.ALREADY_APPLIED, []
        now, announce, was_paid = self.payments.clock(), self.payments.announce, attempt.status is AttemptState.SETTLED
        try:
            if report.status == "settled":
                payment, attempt = payment.settle(attempt)
            else:
                payment, attempt = payment.record_return(attempt, report.return_reason_code, now)
        except IllegalTransition:
            return Outcome.WRONG_STATE, []
        await uow.payments.record_report(payment, attempt)
        if report.status == "settled":
            await uow.budgets.add_paid(payment.programme, attempt.amount_cents)
            changed.add(payment.programme)
            log.info("payment_settled", payment_id=report.payment_id, attempt=report.attempt)
            return Outcome.APPLIED, [announce.of_payment(payment, "paid", now, amount_cents=attempt.amount_cents)]
        if was_paid:  # booked, then sent back: no longer paid, still reserved until new details or expiry
            await uow.budgets.remove_paid(payment.programme, attempt.amount_cents)
            changed.add(payment.programme)
        log.info("payment_returned", payment_id=report.payment_id, reason=report.return_reason_code, was_paid=was_paid)
        reasons = [report.return_reason_code] if report.return_reason_code else []
        return Outcome.APPLIED, [
            announce.of_payment(payment, "payment_returned", now, reasons=reasons, amount_cents=attempt.amount_cents)
        ]

    async def _wrong_state(self, uow: PaymentsWork, report: PaymentSettlementV1) -> list[Published]:
        entry_id = await uow.suspense.entry_of_settlement(report.event_id)
        log.info(
            "settlement_not_applicable",
            payment_id=report.payment_id,
            attempt=report.attempt,
            status=report.status,
            bank_entry=entry_id,
        )
        if entry_id is not None:
            reason = (
                f"{report.status} reported on attempt {report.payment_id}:{report.attempt}, which is not awaiting it"
            )
            await hold_in_suspense(uow, entry_id, reason)
        return []

    async def apply_bank_details(self, uow: PaymentsWork, details: Sequence[ClaimBankDetailsV1]) -> list[OutboxMessage]:
        """Issue each returned payment again to its claim's new bank details, or tell the portal why not."""
        published: list[OutboxMessage] = []
        for new in details:
            published += await apply_new_details(uow, self.payments, new)
        return published

    async def release_expired_returns(self, uow: PaymentsWork, limit: int = 500) -> int:
        """Free the reservations of payments returned too long ago, then serve the waitlist with the money.

        Each payment in a savepoint of its own: one that cannot be released is set aside (`return_expiry`) and
        skipped from then on, instead of failing the job for every payment behind it. Returns payments handled."""
        now, handled = self.payments.clock(), 0
        for programme in self.payments.programmes.values():
            cut_off = now - dt.timedelta(days=programme.payment.return_expiry_days)
            expired = await uow.payments.take_expired_returns(programme.id, cut_off, limit)

            async def expire(payment: Payment) -> None:
                await uow.payments.record_status(payment.expire())
                await uow.budgets.release(payment.programme, payment.amount_cents)
                log.info("reservation_released", claim_id=payment.claim_id, payment_id=payment.payment_id)

            async def hold(payment: Payment, error: Exception) -> None:
                await self._hold_expiry(uow, payment, error)

            if await uow.item_by_item(expired, expire, hold):
                uow.publish(await self.payments.promote_waiting(uow, programme.id))
                uow.publish(await self.payments.envelopes(uow, [programme.id]))
            handled += len(expired)
        return handled

    async def _hold_expiry(self, uow: PaymentsWork, payment: Payment, error: Exception) -> None:
        await uow.payments.record_expiry_held(payment.hold_expiry())
        if await uow.set_aside(RETURN_EXPIRY, payment.payment_id, error):
            log.warning(
                "item_set_aside",
                kind=RETURN_EXPIRY,
                item_id=payment.payment_id,
                claim_id=payment.claim_id,
                reason=type(error).__name__,
            )


def decode_settlement(record: InboundRecord) -> PaymentSettlementV1:
    """A finance report that fits its contract and that PostgreSQL can look up; otherwise `Undecodable`, so that this
    record alone is dead-lettered, before any query: a value PostgreSQL refuses would fail the whole batch."""
    return _screened(record, _settlement(record), _settlement_flaw)


def decode_bank_details(record: InboundRecord) -> ClaimBankDetailsV1:
    """New bank details that fit their contract and whose claim id PostgreSQL can look up; otherwise `Undecodable`."""
    return _screened(record, _bank_details(record), _bank_details_flaw)


_settlement = contract(PaymentSettlementV1)
_bank_details = contract(ClaimBankDetailsV1)


def _screened(record: InboundRecord, event: E, flaw: Callable[[E], str | None]) -> E:
    reason = flaw(event)
    if reason is not None:
        log.warning("record_dead_lettered", coordinates=record.coordinates, reason=reason)
        raise Undecodable(reason)
    return event


def _settlement_flaw(report: PaymentSettlementV1) -> str | None:
    if report.attempt > MAX_ATTEMPT:
        return f"attempt {report.attempt} is beyond any attempt payments makes"
    return _control_character_in(payment_id=report.payment_id, end_to_end_id=report.end_to_end_id)


def _bank_details_flaw(details: ClaimBankDetailsV1) -> str | None:
    return _control_character_in(claim_id=details.claim_id)


def _control_character_in(**identifiers: str | None) -> str | None:
    # PostgreSQL refuses a NUL outright; other control characters never belong in an identifier either, and would
    # reach statuses, logs and terminals.
    for name, value in identifiers.items():
        if value is not None and has_unsafe_characters(value):
            return f"{name} holds a control character"
    return None
