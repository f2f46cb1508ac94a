"""Payments use cases on approvals: reserve the grant from the envelope, or queue the claim until money frees up.

The envelope is first come, first served: while anyone waits, a newcomer queues behind them; released money
goes to the oldest waiting claim first (submission order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import asyncpg
import structlog

from guichet_common.contracts import ClaimDecidedV1
from guichet_common.inbox import first_sightings
from guichet_common.outbox import OutboxMessage, write_outbox
from guichet_common.programmes import Programme
from guichet_common.records import InboundRecord, decode_all
from guichet_payments import domain, repository
from guichet_payments.events import Announcer

log = structlog.get_logger()


@dataclass(frozen=True)
class PaymentsService:
    programmes: Mapping[str, Programme]
    topic_prefix: str = ""
    clock: domain.Clock = field(default=domain.system_clock)

    @property
    def announce(self) -> Announcer:
        return Announcer(self.topic_prefix)

    async def open_envelopes(self, conn: asyncpg.Connection) -> None:
        for programme in self.programmes.values():
            await repository.ensure_budget(conn, programme.id, programme.budget.total_cents)

    async def apply_approvals(self, conn: asyncpg.Connection, records: Sequence[InboundRecord]) -> None:
        approvals, outbox = decode_all(ClaimDecidedV1, records)
        fresh = await first_sightings(conn, records[0].topic, [a.event_id for a in approvals]) if approvals else set()
        for approval in approvals:
            if approval.event_id in fresh:
                fresh.discard(approval.event_id)
                outbox += await self._reserve_or_queue(conn, approval)
        await write_outbox(conn, outbox)

    async def _reserve_or_queue(self, conn: asyncpg.Connection, approval: ClaimDecidedV1) -> list[OutboxMessage]:
        if await repository.company_already_served(conn, approval.programme, approval.siren):
            # Eligibility rejects a second claim of the same company; this is the last line if it did not.
            log.warning("payment_refused_company_already_served", claim_id=approval.claim_id)
            return []
        if await repository.waitlist_is_empty(conn, approval.programme) and await repository.try_reserve(
            conn, approval.programme, approval.grant_amount_cents
        ):
            return await self.schedule(conn, approval)
        await repository.add_to_waitlist(
            conn,
            claim_id=approval.claim_id,
            programme=approval.programme,
            siren=approval.siren,
            submitted_at=approval.submitted_at,
            decision=approval.model_dump(mode="json"),
        )
        log.info("claim_waitlisted", claim_id=approval.claim_id)
        return [
            self.announce.status(
                claim_id=approval.claim_id,
                programme=approval.programme,
                siren=approval.siren,
                status="waitlisted",
                reasons=[domain.BUDGET_EXHAUSTED],
                now=self.clock(),
            )
        ]

    async def schedule(self, conn: asyncpg.Connection, approval: ClaimDecidedV1) -> list[OutboxMessage]:
        """A payment for a claim whose grant is already reserved; the batcher puts it in the next SEPA file."""
        payment_id = domain.new_payment_id()
        await repository.insert_payment(
            conn, {**approval.model_dump(), "payment_id": payment_id, "amount_cents": approval.grant_amount_cents}
        )
        await repository.insert_attempt(
            conn,
            {
                "payment_id": payment_id,
                "attempt": 1,
                "end_to_end_id": domain.end_to_end_id(payment_id, 1),
                "beneficiary_name": approval.beneficiary_name,
                "iban": approval.iban,
                "bic": approval.bic,
                "amount_cents": approval.grant_amount_cents,
                "created_at": self.clock(),
            },
        )
        log.info("payment_scheduled", claim_id=approval.claim_id, payment_id=payment_id)
        return [
            self.announce.status(
                claim_id=approval.claim_id,
                programme=approval.programme,
                siren=approval.siren,
                status="payment_scheduled",
                amount_cents=approval.grant_amount_cents,
                payment_id=payment_id,
                now=self.clock(),
            )
        ]

    async def promote_waiting(self, conn: asyncpg.Connection, programme: str) -> list[OutboxMessage]:
        """Give released money to the oldest waiting claims, as far as it goes."""
        messages: list[OutboxMessage] = []
        while (waiting := await repository.oldest_waiting(conn, programme)) is not None:
            approval = ClaimDecidedV1.model_validate(waiting["decision"], strict=False)
            if not await repository.try_reserve(conn, programme, approval.grant_amount_cents):
                break
            await repository.leave_waitlist(conn, approval.claim_id)
            log.info("claim_promoted_from_waitlist", claim_id=approval.claim_id)
            messages += await self.schedule(conn, approval)
        return messages
