"""Webhook deliveries' rules, without I/O: which deliveries may go now (one per claim, oldest first), how long to
wait after a failed attempt (exponential backoff with full jitter), and when to give up."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

Clock = Callable[[], dt.datetime]
Jitter = Callable[[float], float]  # a random float in [0, upper]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def full_jitter(upper: float) -> float:
    return random.uniform(0.0, upper)  # spreading retries: no secret, so not `secrets`


@dataclass(frozen=True)
class RetryPolicy:
    """GATEWAY_WEBHOOK_RETRY_BASE_S, _RETRY_MAX_S and _GIVE_UP_AFTER_S: tests shorten all three."""

    base_s: float
    max_s: float
    give_up_after_s: float

    def backoff_s(self, attempts: int, jitter: Jitter = full_jitter) -> float:
        """The wait after a failed attempt that had `attempts` failed ones before it: full jitter over
        min(max, base·2^attempts), so that a receiver coming back is not hit by every retry at once (AWS's
        "Exponential Backoff And Jitter"): up to base after the first failure, 2·base after the second..."""
        exponent = min(attempts, 62)  # 2^62·base is past any cap: no float overflow for a delivery tried forever
        return jitter(min(self.max_s, self.base_s * 2.0**exponent))


@dataclass(frozen=True)
class StatusToKeep:
    event_id: UUID
    claim_id: str
    status: str
    occurred_at: dt.datetime
    payload: dict[str, Any]  # the event as published: the history's source and the webhook's body


@dataclass(frozen=True)
class DueDelivery:
    """A delivery the sender took, with what it needs to send it: the portal's URL and secret, the status event."""

    delivery_id: int
    portal: str
    claim_id: str
    event_id: UUID
    seq: int
    attempts: int  # made before this one
    window_started_at: dt.datetime  # creation, or the operator's last redelivery: the give-up clock runs from here
    url: str | None  # None: the portal's webhook was removed since the status came
    secret: str | None
    payload: dict[str, Any]  # the claims.status.v1 event as published: the body
    redelivery_by: str | None = None  # the operator who asked for this attempt


@dataclass(frozen=True)
class AttemptResult:
    """What one POST got: an HTTP status, or an error class (a timeout, a refused connection). Never the body."""

    http_status: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300

    def describe(self) -> str:
        return f"HTTP {self.http_status}" if self.http_status is not None else (self.error or "no answer")


@dataclass(frozen=True)
class Next:
    """What becomes of a delivery after an attempt."""

    state: Literal["pending", "delivered", "failed"]
    next_attempt_at: dt.datetime


def after_attempt(
    delivery: DueDelivery, result: AttemptResult, now: dt.datetime, policy: RetryPolicy, jitter: Jitter = full_jitter
) -> Next:
    """Delivered on a 2xx; otherwise tried again after a backoff, the last time at the give-up deadline, and failed
    once an attempt at or past the deadline fails too."""
    if result.delivered:
        return Next("delivered", now)
    deadline = delivery.window_started_at + dt.timedelta(seconds=policy.give_up_after_s)
    if now >= deadline:
        return Next("failed", now)
    wait = dt.timedelta(seconds=policy.backoff_s(delivery.attempts, jitter))
    return Next("pending", min(now + wait, deadline))


@dataclass(frozen=True)
class QueuedDelivery:
    """A pending delivery as the queue sees it (for `first_in_line`)."""

    delivery_id: int
    claim_id: str
    seq: int
    next_attempt_at: dt.datetime


def first_in_line(pending: Iterable[QueuedDelivery], now: dt.datetime, limit: int) -> list[QueuedDelivery]:
    """The deliveries that may be sent now: of each claim only its oldest pending one (by status order), and only
    if it is due. A claim whose oldest delivery waits for a retry sends nothing newer meanwhile, so a portal gets a
    claim's statuses in order. A failed delivery (given up, set aside) holds the line no more: the newer ones go on,
    each with its own give-up clock, and a redelivery of it comes whenever an operator asks (the event's
    `occurred_at` and `event_id` let the portal place it). The repository's SQL does the same; this is its
    specification (and the fakes')."""
    oldest: dict[str, QueuedDelivery] = {}
    for delivery in pending:
        held = oldest.get(delivery.claim_id)
        if held is None or delivery.seq < held.seq:
            oldest[delivery.claim_id] = delivery
    due = [d for d in oldest.values() if d.next_attempt_at <= now]
    return sorted(due, key=lambda d: (d.next_attempt_at, d.seq))[:limit]
