"""Webhook use cases: keep the statuses of the gateway's claims (with a delivery each for portals with a webhook),
and one turn of the sender. They work on a unit of work with a `webhooks` repository (PostgreSQL's, or the unit
tests' in memory) and a `Post` that sends one signed request; never a connection, SQL or an HTTP client."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from guichet_common.safe_text import printable
from guichet_common.unit_of_work import UnitOfWork
from guichet_gateway.webhooks.domain import (
    AttemptResult,
    Clock,
    DueDelivery,
    Jitter,
    Next,
    RetryPolicy,
    StatusToKeep,
    after_attempt,
    full_jitter,
)

log = structlog.get_logger()
SET_ASIDE_KIND = "webhook_delivery"  # what `guichet set-aside` and the back-office know a failed delivery as


class Webhooks(Protocol):
    async def keep_statuses(self, statuses: Sequence[StatusToKeep], now: dt.datetime) -> tuple[int, int]:
        """Store the statuses of the gateway's claims (others are skipped), in the given order, and a pending
        delivery for each whose portal has a webhook; returns (statuses kept, deliveries made)."""
        ...

    async def take_due(self, now: dt.datetime, limit: int) -> list[DueDelivery]:
        """Lock and return up to `limit` deliveries `first_in_line` (one per claim), skipping those another sender
        holds."""
        ...

    async def record_attempt(
        self, delivery: DueDelivery, attempted_at: dt.datetime, result: AttemptResult, after: Next
    ) -> None:
        """Journal the attempt (with the operator who asked for it, if any) and move the delivery on."""
        ...


class WebhooksUnitOfWork(UnitOfWork):
    webhooks: Webhooks


class Post(Protocol):
    async def __call__(self, delivery: DueDelivery) -> AttemptResult:
        """Send the delivery once, signed; never raises for the receiver's sake (an error is a result)."""
        ...


async def keep_statuses(uow: WebhooksUnitOfWork, statuses: Sequence[StatusToKeep], now: dt.datetime) -> None:
    """Keep the history of the gateway's claims and owe their portals a webhook per status. Statuses of claims that
    did not come through the gateway are most of the topic: they are skipped in the same single statement."""
    if not statuses:
        return
    kept, owed = await uow.webhooks.keep_statuses(statuses, now)
    if kept:
        log.info("statuses_kept", count=kept, deliveries=owed)


@dataclass(frozen=True)
class Sender:
    """One turn of the webhook sender (`wiring.repeat`): take what is due, send it, record how it went."""

    post: Post
    policy: RetryPolicy
    clock: Clock
    batch_size: int = 50
    jitter: Jitter = full_jitter

    async def turn(self, uow: WebhooksUnitOfWork) -> int:
        """Returns how many deliveries were tried, so the loop goes again at once while there is work."""
        started = self.clock()
        due = await uow.webhooks.take_due(started, self.batch_size)
        if not due:
            return 0
        # At once: each claim has at most one delivery here, so sending them together keeps every claim's order,
        # and a turn lasts about one timeout however many receivers are down.
        results = await asyncio.gather(*(self.post(delivery) for delivery in due))
        for delivery, result in zip(due, results, strict=True):
            await self._record(uow, delivery, started, result)
        return len(due)

    async def _record(
        self, uow: WebhooksUnitOfWork, delivery: DueDelivery, attempted_at: dt.datetime, result: AttemptResult
    ) -> None:
        after = after_attempt(delivery, result, self.clock(), self.policy, self.jitter)
        await uow.webhooks.record_attempt(delivery, attempted_at, result, after)
        fields = {
            "portal": delivery.portal,
            "delivery_id": delivery.delivery_id,
            "claim_id": printable(delivery.claim_id, 80),
            "event_id": str(delivery.event_id),
            "attempt": delivery.attempts + 1,
        }
        if after.state == "delivered":
            log.info("webhook_delivered", http_status=result.http_status, **fields)
            return
        if after.state == "pending":
            log.info(
                "webhook_attempt_failed", answer=result.describe(), retry_at=after.next_attempt_at.isoformat(), **fields
            )
            return
        reason = f"no 2xx answer in {delivery.attempts + 1} attempts; last: {result.describe()}"
        if await uow.set_aside(SET_ASIDE_KIND, str(delivery.delivery_id), reason):
            log.warning("webhook_delivery_failed", answer=result.describe(), **fields)
