"""Finance's reports, applicants' new bank details and the expiry of returned payments.

A settled payment is paid; a returned one waits for new bank details (then it is issued again with attempt + 1)
or, after the programme's expiry, gives its reservation back to the waitlist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
import structlog

from guichet_common.contracts import ClaimBankDetailsV1, PaymentSettlementV1
from guichet_common.inbox import first_sightings
from guichet_common.outbox import OutboxMessage, write_outbox
from guichet_common.records import InboundRecord, dead_letter, decode_pairs
from guichet_common.safe_text import has_unsafe_characters
from guichet_common.set_aside import item_by_item, set_aside
from guichet_payments import repository
from guichet_payments.bank_details import apply_new_details
from guichet_payments.service import PaymentsService

log = structlog.get_logger()
RETURN_EXPIRY = "return_expiry"  # the set-aside kind of a returned payment whose expiry could not be applied
MAX_ATTEMPT = 2**31 - 1  # payment_attempts.attempt is an `int`: asyncpg refuses to send a larger number
E = TypeVar("E")


@dataclass(frozen=True)
class SettlementService:
    payments: PaymentsService

    async def apply_settlements(self, conn: asyncpg.Connection, records: Sequence[InboundRecord]) -> None:
        decoded, outbox = decode_pairs(PaymentSettlementV1, records)
        pairs = _screened(decoded, _settlement_flaw, outbox)
        fresh = await first_sightings(conn, records[0].topic, [r.event_id for _, r in pairs]) if pairs else set()
        for record, report in pairs:
            if report.event_id in fresh:
                fresh.discard(report.event_id)
                outbox += await self._apply_report(conn, report, record)
        await write_outbox(conn, outbox)

    async def _apply_report(
        self, conn: asyncpg.Connection, report: PaymentSettlementV1, record: InboundRecord
    ) -> list[OutboxMessage]:
        row = await repository.attempt_for_report(conn, report.payment_id, report.attempt)
        if row is None:
            return [dead_letter(record, f"no attempt {report.attempt} of payment {report.payment_id}")]
        if row["attempt_status"] != "sent":
            # Reported twice (or out of order): the first report stands.
            log.info("settlement_already_applied", payment_id=report.payment_id, attempt=report.attempt)
            return []
        now = self.payments.clock()
        status_of = dict(
            claim_id=row["claim_id"],
            programme=row["programme"],
            siren=row["siren"],
            now=now,
            payment_id=report.payment_id,
            amount_cents=row["amount_cents"],
        )
        if report.status == "settled":
            await repository.mark_settled(
                conn, report.payment_id, report.attempt, row["programme"], row["amount_cents"]
            )
            log.info("payment_settled", payment_id=report.payment_id, attempt=report.attempt)
            return [self.payments.announce.status(status="paid", **status_of)]
        await repository.mark_returned(conn, report.payment_id, report.attempt, report.return_reason_code, now)
        log.info("payment_returned", payment_id=report.payment_id, reason=report.return_reason_code)
        reasons = [report.return_reason_code] if report.return_reason_code else []
        return [self.payments.announce.status(status="payment_returned", reasons=reasons, **status_of)]

    async def apply_bank_details(self, conn: asyncpg.Connection, records: Sequence[InboundRecord]) -> None:
        decoded, outbox = decode_pairs(ClaimBankDetailsV1, records)
        details = [new for _, new in _screened(decoded, _bank_details_flaw, outbox)]
        fresh = await first_sightings(conn, records[0].topic, [d.event_id for d in details]) if details else set()
        for new in details:
            if new.event_id not in fresh:
                continue
            fresh.discard(new.event_id)
            outbox += await apply_new_details(conn, self.payments, new)
        await write_outbox(conn, outbox)

    async def release_expired_returns(self, conn: asyncpg.Connection, limit: int = 500) -> int:
        """Free the reservations of payments returned too long ago, then serve the waitlist with the money.

        Each payment in a savepoint of its own: one that cannot be released is set aside (`return_expiry`) and
        skipped from then on, instead of failing the job for every payment behind it. Returns payments handled."""
        now, handled, outbox = self.payments.clock(), 0, []
        for programme in self.payments.programmes.values():
            cut_off = now - dt.timedelta(days=programme.payment.return_expiry_days)
            rows = await repository.take_expired_returns(conn, programme.id, cut_off, limit)

            async def expire(row: asyncpg.Record, programme_id: str = programme.id) -> None:
                await repository.mark_released(conn, row["payment_id"])
                await repository.release(conn, programme_id, row["amount_cents"])
                log.info("reservation_released", claim_id=row["claim_id"], payment_id=row["payment_id"])

            async def aside(row: asyncpg.Record, error: Exception) -> None:
                await self._set_expiry_aside(conn, row, error)

            if await item_by_item(conn, rows, expire, aside):
                outbox += await self.payments.promote_waiting(conn, programme.id)
            handled += len(rows)
        await write_outbox(conn, outbox)
        return handled

    async def _set_expiry_aside(self, conn: asyncpg.Connection, row: asyncpg.Record, error: Exception) -> None:
        await repository.set_expiry_aside(conn, row["payment_id"])
        if await set_aside(conn, RETURN_EXPIRY, row["payment_id"], error):
            log.warning(
                "item_set_aside",
                kind=RETURN_EXPIRY,
                item_id=row["payment_id"],
                claim_id=row["claim_id"],
                reason=type(error).__name__,
            )


def _screened(
    pairs: list[tuple[InboundRecord, E]], flaw: Callable[[E], str | None], outbox: list[OutboxMessage]
) -> list[tuple[InboundRecord, E]]:
    """The events fit to reach SQL; each other one is dead-lettered (into `outbox`) with its own reason, before any
    query: a value PostgreSQL refuses would fail the whole batch, not this one record."""
    kept = []
    for record, event in pairs:
        reason = flaw(event)
        if reason is None:
            kept.append((record, event))
        else:
            log.warning("record_dead_lettered", coordinates=record.coordinates, reason=reason)
            outbox.append(dead_letter(record, reason))
    return kept


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
