"""Recovery use cases: issue an order after a control, apply the bank credits that repay it, follow it up.

An order is issued by `ControlsService` on a non-compliant or unanswered control, one per claim. The firm repays by
transfer quoting the order's creditor reference; the bank's camt.054/053 credit is applied in the import's own
transaction (`bank_files.importer`). A programme whose `[recovery] returns_to_envelope` is set gets the money back in
its envelope, and its waitlist is served with it. Unpaid orders are reminded, then passed to the public accountant.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from stdnum import iso11649

from guichet_common.contracts.controls import RECOVERY_ORDERS_TOPIC, RecoveryOrderEventV1, RecoveryStep
from guichet_common.contracts.status import ClaimStatus
from guichet_common.outbox import OutboxMessage
from guichet_payments import domain
from guichet_payments.bank_files import matching
from guichet_payments.bank_files.reading import BankEntry
from guichet_payments.domain import IllegalTransition
from guichet_payments.events import Announcer
from guichet_payments.recovery.domain import FollowUp, Overpayment, RecoveryOrder, normalised_reference
from guichet_payments.recovery.repository import SET_ASIDE_KIND
from guichet_payments.service import PaymentsService
from guichet_payments.unit_of_work import PaymentsWork
from guichet_programme import Programme

log = structlog.get_logger()

# Our references: RF, two check digits, then the order id without its dash (`RO` + 12 characters).
_OUR_REFERENCE = re.compile(r"RF[0-9]{2}RO[0-9A-Z]{12}")
# Suspense reasons, as finance reads them beside CREDIT_WITHOUT_RETURN.
UNKNOWN_ORDER = "a credit quoting a creditor reference no recovery order has"
NO_AMOUNT = "a credit quoting a recovery order, without an amount"
ORDER_CLOSED = "a credit quoting a recovery order already settled"
ABOVE_OUTSTANDING = "a credit above what its recovery order still owes"


def quoted_reference(entry: BankEntry) -> str | None:
    """The creditor reference a credit quotes: its structured one, else one of ours found in its free text."""
    if entry.creditor_reference:
        return normalised_reference(entry.creditor_reference)
    found = _OUR_REFERENCE.search(normalised_reference(entry.remittance or ""))
    return found.group(0) if found and iso11649.is_valid(found.group(0)) else None


@dataclass(frozen=True)
class RecoveryService:
    programmes: Mapping[str, Programme]
    announce: Announcer
    clock: domain.Clock
    payments: PaymentsService
    follow_up_limit: int = 500

    async def issue(
        self,
        uow: PaymentsWork,
        *,
        claim_id: str,
        payment_id: str,
        programme: str,
        siren: str,
        amount_cents: int,
        reason_code: str,
        source: str | None,
        now: dt.datetime,
    ) -> tuple[str, list[OutboxMessage]]:
        """Order `amount_cents` of `claim_id`'s grant back: the order (due `[recovery] due_days` after today, Paris),
        the claim's `recovery_ordered` status and the order's `issued` step. A claim has one order at most: issuing
        again returns the first one's id and publishes nothing. Returns (order id, messages)."""
        settings = self.programmes[programme]
        order = RecoveryOrder.issue(
            claim_id=claim_id,
            payment_id=payment_id,
            programme=programme,
            siren=siren,
            reason_code=reason_code,
            amount_cents=amount_cents,
            today=domain.paris_today(now, settings.zone),
            due_days=settings.recovery.due_days,
            returns_to_envelope=settings.recovery.returns_to_envelope,
            now=now,
            source=source,
        )
        if not await uow.recovery.add(order):
            existing = await uow.recovery.of_claim(claim_id)
            return (existing.order_id if existing else order.order_id), []
        log.info("recovery_order_issued", claim_id=claim_id, order_id=order.order_id)
        status = self._status(order, "recovery_ordered", [reason_code], now)
        return order.order_id, [status, self._step(order, "issued", now)]

    async def apply_credit(
        self, uow: PaymentsWork, entry: BankEntry, entry_id: str, received_at: dt.datetime
    ) -> list[OutboxMessage] | str:
        """A booked credit that is no return: a repayment if it quotes an order's reference and fits what the order
        still owes (messages: `repayment`, then `settled` and `recovered` when nothing is left, then the envelope's
        share); otherwise the suspense reason, and nothing is changed."""
        reference = quoted_reference(entry)
        if reference is None:
            return matching.CREDIT_WITHOUT_RETURN
        order = await uow.recovery.by_reference(reference)
        if order is None:
            return UNKNOWN_ORDER
        if entry.amount_cents is None:
            return NO_AMOUNT
        now = self.clock()
        try:
            repaid = order.repay(entry.amount_cents, now)
        except IllegalTransition:
            return ORDER_CLOSED
        except Overpayment:
            return ABOVE_OUTSTANDING
        back = order.returns_to_envelope
        if not await uow.recovery.add_repayment(
            entry_id, order.order_id, entry.amount_cents, entry.value_date, received_at, back
        ):
            return []  # this very entry was applied already: it counts once
        await uow.recovery.record(repaid)
        log.info("recovery_repayment", order_id=order.order_id, claim_id=order.claim_id, entry_id=entry_id)
        messages = [self._step(repaid, "repayment", now, repayment_cents=entry.amount_cents, bank_reference=entry_id)]
        if repaid.outstanding_cents == 0:
            messages += [self._step(repaid, "settled", now), self._status(repaid, "recovered", [], now)]
        if back:
            await uow.recovery.return_to_envelope(order.programme, entry.amount_cents)
            messages += await self.payments.promote_waiting(uow, order.programme)
            messages += await self.payments.envelopes(uow, [order.programme])
        return messages

    async def follow_up(self, uow: PaymentsWork) -> int:
        """The background job (`recovery_follow_up`): on today's Paris date, the next reminder of each order due for
        one, then collection for those reminded and still unpaid, per the programme's `[recovery]`. One order that
        cannot move is set aside (`recovery_order`) and skipped until released. Returns the orders moved."""
        now, moved = self.clock(), 0
        for programme in self.programmes.values():
            today = domain.paris_today(now, programme.zone)
            timetable = FollowUp(
                programme.recovery.reminder_days_after_due, programme.recovery.collection_days_after_due
            )
            due = await uow.recovery.with_step_due(programme.id, today, timetable, self.follow_up_limit)

            async def move(order: RecoveryOrder, today: dt.date = today, timetable: FollowUp = timetable) -> None:
                uow.publish([await self._move(uow, order, order.due_step(today, timetable), now)])

            async def hold(order: RecoveryOrder, error: Exception) -> None:
                if await uow.set_aside(SET_ASIDE_KIND, order.order_id, error):
                    log.warning(
                        "item_set_aside", kind=SET_ASIDE_KIND, item_id=order.order_id, reason=type(error).__name__
                    )

            moved += await uow.item_by_item(due, move, hold)
        return moved

    async def _move(self, uow: PaymentsWork, order: RecoveryOrder, step: str | None, now: dt.datetime) -> OutboxMessage:
        if step == "reminder":
            reminded = order.remind()
            await uow.recovery.record(reminded)
            log.info("recovery_order_reminded", order_id=order.order_id, reminder=reminded.reminders_sent)
            return self._step(reminded, "reminded", now, reminder=reminded.reminders_sent)
        collected = order.pass_to_collection(now)
        await uow.recovery.record(collected)
        log.info("recovery_order_passed_to_collection", order_id=order.order_id)
        return self._step(collected, "passed_to_collection", now)

    def _status(self, order: RecoveryOrder, status: ClaimStatus, reasons: list[str], now: dt.datetime) -> OutboxMessage:
        return self.announce.status(
            claim_id=order.claim_id,
            programme=order.programme,
            siren=order.siren,
            status=status,
            now=now,
            reasons=reasons,
            amount_cents=order.amount_cents,
            payment_id=order.payment_id,
            source=order.source,
            recovery_order_id=order.order_id,
        )

    def _step(self, order: RecoveryOrder, step: RecoveryStep, now: dt.datetime, **extra: Any) -> OutboxMessage:
        """The order as it stands after `step`, with the account it is repaid to (the programme's own)."""
        account = self.programmes[order.programme].payment
        event = RecoveryOrderEventV1(
            event_id=uuid.uuid4(),
            occurred_at=now,
            step=step,
            order_id=order.order_id,
            claim_id=order.claim_id,
            programme=order.programme,
            siren=order.siren,
            payment_id=order.payment_id,
            reason_code=order.reason_code,
            amount_cents=order.amount_cents,
            repaid_cents=order.repaid_cents,
            outstanding_cents=order.outstanding_cents,
            issued_on=order.issued_on,
            due_on=order.due_on,
            payment_reference=order.payment_reference,
            creditor_name=account.debtor_name,
            creditor_iban=account.debtor_iban,
            creditor_bic=account.debtor_bic,
            returned_to_envelope=order.returns_to_envelope and step in ("repayment", "settled"),
            source=order.source,
            **extra,
        )
        return OutboxMessage.of_event(self.announce.topic_prefix + RECOVERY_ORDERS_TOPIC, order.claim_id, event)
