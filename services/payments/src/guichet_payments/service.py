"""Payments use case: an approved claim reserves its grant from the envelope, or waits for money to free up."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog

from guichet_common.contracts import ClaimDecidedV1, ClaimStatusV1, PaymentIssuedV1
from guichet_common.contracts.payments import ISSUED_TOPIC
from guichet_common.contracts.status import TOPIC as STATUS_TOPIC
from guichet_common.inbox import first_sightings
from guichet_common.outbox import OutboxMessage, write_outbox
from guichet_common.programmes import Programme
from guichet_common.records import InboundRecord, decode_all
from guichet_payments import domain, repository

log = structlog.get_logger()


@dataclass(frozen=True)
class PaymentsService:
    programmes: Mapping[str, Programme]
    topic_prefix: str = ""

    async def open_envelopes(self, conn: asyncpg.Connection) -> None:
        for programme in self.programmes.values():
            await repository.ensure_budget(conn, programme.id, programme.budget.total_cents)

    async def apply_approvals(self, conn: asyncpg.Connection, records: Sequence[InboundRecord]) -> None:
        approvals, outbox = decode_all(ClaimDecidedV1, records)
        fresh = await first_sightings(conn, records[0].topic, [a.event_id for a in approvals]) if approvals else set()
        for approval in approvals:
            if approval.event_id in fresh:
                fresh.discard(approval.event_id)
                outbox += await self._reserve_or_waitlist(conn, approval)
        await write_outbox(conn, outbox)

    async def _reserve_or_waitlist(self, conn: asyncpg.Connection, approval: ClaimDecidedV1) -> list[OutboxMessage]:
        if await repository.company_already_has_payment(conn, approval.programme, approval.siren):
            # Eligibility rejects a second claim of the same company; this is the last line if it did not.
            log.warning("payment_refused_company_already_served", claim_id=approval.claim_id)
            return []
        if not await repository.try_reserve(conn, approval.programme, approval.grant_amount_cents):
            await repository.add_to_waitlist(
                conn,
                claim_id=approval.claim_id,
                programme=approval.programme,
                siren=approval.siren,
                submitted_at=approval.submitted_at,
                decision=approval.model_dump(mode="json"),
            )
            log.info("claim_waitlisted", claim_id=approval.claim_id)
            return [self._status(approval, "waitlisted", reasons=[domain.BUDGET_EXHAUSTED])]
        return await self._issue(conn, approval)

    async def _issue(self, conn: asyncpg.Connection, approval: ClaimDecidedV1) -> list[OutboxMessage]:
        programme = self.programmes[approval.programme]
        now = datetime.now(UTC)
        today = domain.paris_today(now, programme.zone)
        payment_id = domain.new_payment_id()
        batch_id = domain.daily_batch_id(programme.id, today)
        await repository.insert_payment(
            conn,
            payment_id=payment_id,
            claim_id=approval.claim_id,
            programme=approval.programme,
            siren=approval.siren,
            amount_cents=approval.grant_amount_cents,
            beneficiary_name=approval.beneficiary_name,
            iban=approval.iban,
            bic=approval.bic,
            attempt=1,
            batch_id=batch_id,
            status="sent",
        )
        issued = PaymentIssuedV1(
            event_id=uuid.uuid4(),
            occurred_at=now,
            payment_id=payment_id,
            claim_id=approval.claim_id,
            programme=approval.programme,
            siren=approval.siren,
            beneficiary_name=approval.beneficiary_name[:140],
            iban=approval.iban,
            bic=approval.bic,
            amount_cents=approval.grant_amount_cents,
            end_to_end_id=domain.end_to_end_id(payment_id, 1),
            remittance_information=domain.remittance_information(
                programme.payment.remittance_prefix, approval.claim_id
            ),
            batch_id=batch_id,
            requested_execution_date=today,
            attempt=1,
        )
        log.info("payment_issued", claim_id=approval.claim_id, payment_id=payment_id, batch_id=batch_id)
        money = {"amount_cents": approval.grant_amount_cents, "payment_id": payment_id}
        return [
            self._status(approval, "payment_scheduled", **money),
            OutboxMessage.of_event(self._topic(ISSUED_TOPIC), payment_id, issued),
            self._status(approval, "payment_sent", **money),
        ]

    def _status(
        self,
        approval: ClaimDecidedV1,
        status: str,
        *,
        reasons: list[str] | None = None,
        amount_cents: int | None = None,
        payment_id: str | None = None,
    ) -> OutboxMessage:
        event = ClaimStatusV1(
            event_id=uuid.uuid4(),
            occurred_at=datetime.now(UTC),
            claim_id=approval.claim_id,
            programme=approval.programme,
            siren=approval.siren,
            status=status,  # type: ignore[arg-type]
            reasons=reasons or [],
            amount_cents=amount_cents,
            payment_id=payment_id,
        )
        return OutboxMessage.of_event(self._topic(STATUS_TOPIC), approval.claim_id, event)

    def _topic(self, name: str) -> str:
        return self.topic_prefix + name
