"""The webhook use cases in memory: statuses of the gateway's claims kept and owed to portals with a webhook, the
sender's turns keeping each claim's order across failures, and a delivery that fails for good set aside once."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace

from guichet_common.unit_of_work import FakeUnitOfWork
from guichet_gateway.webhooks.domain import (
    AttemptResult,
    DueDelivery,
    Next,
    QueuedDelivery,
    RetryPolicy,
    StatusToKeep,
    first_in_line,
)
from guichet_gateway.webhooks.service import SET_ASIDE_KIND, Sender, keep_statuses

T0 = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
POLICY = RetryPolicy(base_s=10.0, max_s=60.0, give_up_after_s=600.0)


@dataclass
class Row:
    delivery: DueDelivery
    state: str
    next_attempt_at: dt.datetime


class InMemoryWebhooks:
    """The gateway's claims (claim -> portal), portals' webhooks, statuses and deliveries, in memory."""

    def __init__(self, claims: dict[str, str], webhooks: dict[str, str]) -> None:
        self.claims, self.webhooks = claims, webhooks
        self.statuses: dict[uuid.UUID, StatusToKeep] = {}
        self.rows: dict[int, Row] = {}
        self.journal: list[tuple[int, int, AttemptResult]] = []
        self._seq = itertools.count(1)

    async def keep_statuses(self, statuses: Sequence[StatusToKeep], now: dt.datetime) -> tuple[int, int]:
        kept = owed = 0
        for status in statuses:
            portal = self.claims.get(status.claim_id)
            if portal is None or status.event_id in self.statuses:
                continue
            self.statuses[status.event_id] = status
            kept += 1
            if portal in self.webhooks:
                seq = next(self._seq)
                url = self.webhooks[portal]
                due = DueDelivery(seq, portal, status.claim_id, status.event_id, seq, 0, now, url, "whsec_x", {})
                self.rows[seq] = Row(due, "pending", now)
                owed += 1
        return kept, owed

    async def take_due(self, now: dt.datetime, limit: int) -> list[DueDelivery]:
        pending = [
            QueuedDelivery(r.delivery.delivery_id, r.delivery.claim_id, r.delivery.seq, r.next_attempt_at)
            for r in self.rows.values()
            if r.state == "pending"
        ]
        return [self.rows[q.delivery_id].delivery for q in first_in_line(pending, now, limit)]

    async def record_attempt(
        self, delivery: DueDelivery, attempted_at: dt.datetime, result: AttemptResult, after: Next
    ) -> None:
        self.journal.append((delivery.delivery_id, delivery.attempts + 1, result))
        row = self.rows[delivery.delivery_id]
        row.state, row.next_attempt_at = after.state, after.next_attempt_at
        row.delivery = replace(delivery, attempts=delivery.attempts + 1)


class WebhooksUow(FakeUnitOfWork):
    def __init__(self, webhooks: InMemoryWebhooks) -> None:
        super().__init__()
        self.webhooks = webhooks


class Receiver:
    """A `Post` that answers 503 while down, records what reached it (claim, status) when up."""

    def __init__(self, webhooks: InMemoryWebhooks) -> None:
        self.up = True
        self.received: list[tuple[str, str]] = []
        self._webhooks = webhooks

    async def __call__(self, delivery: DueDelivery) -> AttemptResult:
        if not self.up:
            return AttemptResult(503, None, 3)
        self.received.append((delivery.claim_id, self._webhooks.statuses[delivery.event_id].status))
        return AttemptResult(204, None, 3)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def status(claim_id: str, name: str) -> StatusToKeep:
    return StatusToKeep(uuid.uuid4(), claim_id, name, T0, {"claim_id": claim_id, "status": name})


def world() -> tuple[InMemoryWebhooks, WebhooksUow, Receiver, Clock, Sender]:
    webhooks = InMemoryWebhooks({"A": "cci", "B": "cci", "Q": "quiet"}, {"cci": "https://cci.example/hook"})
    receiver, clock = Receiver(webhooks), Clock()
    # Jitter at its highest: the schedule is exactly base·2^n, so the test can step to each retry.
    return webhooks, WebhooksUow(webhooks), receiver, clock, Sender(receiver, POLICY, clock, jitter=lambda u: u)


async def test_statuses_of_other_claims_are_skipped_and_portals_without_webhook_get_no_delivery() -> None:
    webhooks, uow, _, _, _ = world()
    await keep_statuses(uow, [status("A", "received"), status("ELSEWHERE", "received"), status("Q", "received")], T0)
    assert len(webhooks.statuses) == 2
    assert [r.delivery.claim_id for r in webhooks.rows.values()] == ["A"]


async def test_a_claim_whose_older_status_is_retrying_waits_and_its_order_holds() -> None:
    webhooks, uow, receiver, clock, sender = world()
    await keep_statuses(uow, [status("A", "received"), status("B", "received"), status("A", "approved")], T0)
    receiver.up = False
    assert await sender.turn(uow) == 2  # A's first status and B's, not A's second
    assert await sender.turn(uow) == 0  # nothing due before the backoff
    receiver.up = True
    clock.now = T0 + dt.timedelta(seconds=10)
    assert await sender.turn(uow) == 2  # A's received and B's received
    assert await sender.turn(uow) == 1  # then A's approved
    assert receiver.received == [("A", "received"), ("B", "received"), ("A", "approved")]
    assert [attempt for _, attempt, _ in webhooks.journal] == [1, 1, 2, 2, 1]


async def test_a_delivery_failing_past_the_give_up_time_is_failed_and_set_aside_once() -> None:
    webhooks, uow, receiver, clock, sender = world()
    await keep_statuses(uow, [status("A", "received"), status("A", "approved")], T0)
    receiver.up = False
    while clock.now <= T0 + dt.timedelta(seconds=POLICY.give_up_after_s + 10):
        await sender.turn(uow)
        clock.now += dt.timedelta(seconds=5)
    first, second = webhooks.rows.values()
    assert first.state == "failed" and second.state == "failed"
    # The second waited behind the first, its own give-up clock running: one attempt once the first failed.
    assert first.delivery.attempts == 13 and second.delivery.attempts == 1
    assert list(uow.held) == [(SET_ASIDE_KIND, "1"), (SET_ASIDE_KIND, "2")]
    assert "HTTP 503" in uow.held[(SET_ASIDE_KIND, "1")]
    assert receiver.received == []
