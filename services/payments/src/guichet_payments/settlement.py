"""Finance's reports, applicants' new bank details and the expiry of returned payments.

A settled payment is paid; a returned one waits for new bank details (then it is issued again with attempt + 1)
or, after the programme's expiry, gives its reservation back to the waitlist.
"""

from __future__ import annotations

import datetime as dt
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
from guichet_payments.domain import Payment
from guichet_payments.service import PaymentsService
from guichet_payments.unit_of_work import PaymentsWork

log = structlog.get_logger()
RETURN_EXPIRY = "return_expiry"  # the set-aside kind of a returned payment whose expiry could not be applied
MAX_ATTEMPT = 2**31 - 1  # payment_attempts.attempt is an `int`: asyncpg refuses to send a larger number
E = TypeVar("E", bound=BaseModel)


@dataclass(frozen=True)
class SettlementService:
    payments: PaymentsService

    async def apply_settlements(self, uow: PaymentsWork, reports: Sequence[PaymentSettlementV1]) -> list[Published]:
        """Apply finance's reports in order: the first report on an attempt in a file settles or returns it, a later
        one is ignored; a report on an attempt payments never made goes back as a dead letter."""
        published: list[Published] = []
        paid_from: set[str] = set()  # the envelopes whose paid figure grew
        for report in reports:
            published += await self._apply_report(uow, report, paid_from)
        return published + await self.payments.envelopes(uow, paid_from)

    async def _apply_report(
        self, uow: PaymentsWork, report: PaymentSettlementV1, paid_from: set[str]
    ) -> list[Published]:
        found = await uow.payments.attempt_for_report(report.payment_id, report.attempt)
        if found is None:
            return [DeadLetter(report, f"no attempt {report.attempt} of payment {report.payment_id}")]
        payment, attempt = found
        if not attempt.awaits_report:
            # Reported twice (or out of order): the first report stands.
            log.info("settlement_already_applied", payment_id=report.payment_id, attempt=report.attempt)
            return []
        now, announce = self.payments.clock(), self.payments.announce
        if report.status == "settled":
            payment, attempt = payment.settle(attempt)
            await uow.payments.record_report(payment, attempt)
            await uow.budgets.add_paid(payment.programme, attempt.amount_cents)
            paid_from.add(payment.programme)
            log.info("payment_settled", payment_id=report.payment_id, attempt=report.attempt)
            return [announce.of_payment(payment, "paid", now, amount_cents=attempt.amount_cents)]
        payment, attempt = payment.record_return(attempt, report.return_reason_code, now)
        await uow.payments.record_report(payment, attempt)
        log.info("payment_returned", payment_id=report.payment_id, reason=report.return_reason_code)
        reasons = [report.return_reason_code] if report.return_reason_code else []
        return [
            announce.of_payment(payment, "payment_returned", now, reasons=reasons, amount_cents=attempt.amount_cents)
        ]

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
