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
from guichet_common.records import InboundRecord, decode_all
from guichet_payments import domain, repository
from guichet_payments.events import Announcer
from guichet_programme import Programme

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
        new: list[ClaimDecidedV1] = []
        for approval in approvals:
            if approval.event_id in fresh:
                fresh.discard(approval.event_id)
                new.append(approval)
        outbox += await self._reserve_or_queue(conn, new)
        await write_outbox(conn, outbox)

    async def _reserve_or_queue(self, conn: asyncpg.Connection, approvals: list[ClaimDecidedV1]) -> list[OutboxMessage]:
        """In arrival order: reserve each grant from its envelope, or put the claim in line; a few reads and
        writes for the whole batch, with the envelopes locked until it commits."""
        if not approvals:
            return []
        served = await repository.companies_already_served(conn, sorted({(a.programme, a.siren) for a in approvals}))
        first_per_company: list[ClaimDecidedV1] = []
        for approval in approvals:
            if (approval.programme, approval.siren) in served:
                # Eligibility rejects a second claim of the same company; this is the last line if it did not.
                log.warning("payment_refused_company_already_served", claim_id=approval.claim_id)
                continue
            served.add((approval.programme, approval.siren))
            first_per_company.append(approval)
        programmes = sorted({a.programme for a in first_per_company})
        available = await repository.available_cents_locked(conn, programmes)
        waiting = await repository.programmes_with_waitlist(conn, programmes)
        to_pay: list[ClaimDecidedV1] = []
        to_queue: list[ClaimDecidedV1] = []
        for programme in programmes:
            mine = [a for a in first_per_company if a.programme == programme]
            covered = domain.first_come_first_served(
                available[programme], programme in waiting, [a.grant_amount_cents for a in mine]
            )
            for approval, fits in zip(mine, covered, strict=True):
                (to_pay if fits else to_queue).append(approval)
            if reserved := sum(a.grant_amount_cents for a, fits in zip(mine, covered, strict=True) if fits):
                await repository.reserve(conn, programme, reserved)
        return await self.schedule(conn, to_pay) + await self._queue(conn, to_queue)

    async def _queue(self, conn: asyncpg.Connection, approvals: list[ClaimDecidedV1]) -> list[OutboxMessage]:
        await repository.add_to_waitlist(
            conn,
            [
                {
                    "claim_id": a.claim_id,
                    "programme": a.programme,
                    "siren": a.siren,
                    "submitted_at": a.submitted_at,
                    "decision": a.model_dump(mode="json"),
                }
                for a in approvals
            ],
        )
        for approval in approvals:
            log.info("claim_waitlisted", claim_id=approval.claim_id)
        return [
            self.announce.status(
                claim_id=a.claim_id,
                programme=a.programme,
                siren=a.siren,
                status="waitlisted",
                reasons=[domain.BUDGET_EXHAUSTED],
                now=self.clock(),
            )
            for a in approvals
        ]

    async def schedule(self, conn: asyncpg.Connection, approvals: list[ClaimDecidedV1]) -> list[OutboxMessage]:
        """Payments for claims whose grants are already reserved; the batcher puts them in the next SEPA file."""
        now = self.clock()
        payment_ids = [domain.new_payment_id() for _ in approvals]
        await repository.insert_payments(
            conn,
            [
                {**a.model_dump(), "payment_id": payment_id, "amount_cents": a.grant_amount_cents}
                for a, payment_id in zip(approvals, payment_ids, strict=True)
            ],
        )
        await repository.insert_attempts(
            conn,
            [
                {
                    "payment_id": payment_id,
                    "attempt": 1,
                    "end_to_end_id": domain.end_to_end_id(payment_id, 1),
                    "beneficiary_name": a.beneficiary_name,
                    "iban": a.iban,
                    "bic": a.bic,
                    "amount_cents": a.grant_amount_cents,
                    "created_at": now,
                }
                for a, payment_id in zip(approvals, payment_ids, strict=True)
            ],
        )
        messages = []
        for approval, payment_id in zip(approvals, payment_ids, strict=True):
            log.info("payment_scheduled", claim_id=approval.claim_id, payment_id=payment_id)
            messages.append(
                self.announce.status(
                    claim_id=approval.claim_id,
                    programme=approval.programme,
                    siren=approval.siren,
                    status="payment_scheduled",
                    amount_cents=approval.grant_amount_cents,
                    payment_id=payment_id,
                    now=now,
                )
            )
        return messages

    async def promote_waiting(self, conn: asyncpg.Connection, programme: str) -> list[OutboxMessage]:
        """Give released money to the oldest waiting claims, as far as it goes."""
        messages: list[OutboxMessage] = []
        while (waiting := await repository.oldest_waiting(conn, programme)) is not None:
            approval = ClaimDecidedV1.model_validate(waiting["decision"], strict=False)
            if not await repository.try_reserve(conn, programme, approval.grant_amount_cents):
                break
            await repository.leave_waitlist(conn, approval.claim_id)
            log.info("claim_promoted_from_waitlist", claim_id=approval.claim_id)
            messages += await self.schedule(conn, [approval])
        return messages
