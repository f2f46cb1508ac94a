"""The webhooks' pure rules: backoff with full jitter under a cap, give-up at the deadline, and which deliveries
may go now (one per claim, its oldest)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from guichet_gateway.webhooks.domain import (
    AttemptResult,
    DueDelivery,
    QueuedDelivery,
    RetryPolicy,
    after_attempt,
    first_in_line,
)

T0 = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
POLICY = RetryPolicy(base_s=10.0, max_s=3600.0, give_up_after_s=72 * 3600.0)


def highest(upper: float) -> float:
    return upper


@pytest.mark.parametrize(
    ("attempts", "upper"), [(0, 10.0), (1, 20.0), (2, 40.0), (8, 2560.0), (9, 3600.0), (40, 3600.0), (10_000, 3600.0)]
)
def test_backoff_doubles_from_the_base_up_to_the_cap(attempts: int, upper: float) -> None:
    assert POLICY.backoff_s(attempts, highest) == upper


def test_backoff_is_full_jitter_between_zero_and_the_bound() -> None:
    waits = [POLICY.backoff_s(3) for _ in range(2000)]
    assert all(0.0 <= wait <= 80.0 for wait in waits)
    assert min(waits) < 10.0 and max(waits) > 70.0  # spread over the whole range, not around the bound


def delivery(attempts: int = 0, started: dt.datetime = T0) -> DueDelivery:
    return DueDelivery(1, "cci", "CLM-1", uuid.uuid4(), 1, attempts, started, "https://cci.example/h", "whsec_x", {})


def test_a_2xx_delivers() -> None:
    assert after_attempt(delivery(), AttemptResult(204, None, 5), T0, POLICY).state == "delivered"


@pytest.mark.parametrize(
    "answer", [AttemptResult(503, None, 5), AttemptResult(301, None, 5), AttemptResult(None, "ConnectError", 1)]
)
def test_anything_else_is_retried_after_the_backoff(answer: AttemptResult) -> None:
    after = after_attempt(delivery(attempts=2), answer, T0 + dt.timedelta(hours=1), POLICY, highest)
    assert after.state == "pending"
    assert after.next_attempt_at == T0 + dt.timedelta(hours=1, seconds=40)


def test_the_last_retry_is_at_the_deadline_and_a_failure_there_gives_up() -> None:
    deadline = T0 + dt.timedelta(hours=72)
    almost = after_attempt(
        delivery(attempts=30), AttemptResult(503, None, 5), deadline - dt.timedelta(seconds=5), POLICY, highest
    )
    assert (almost.state, almost.next_attempt_at) == ("pending", deadline)
    assert after_attempt(delivery(attempts=31), AttemptResult(503, None, 5), deadline, POLICY).state == "failed"


def test_a_redelivery_restarts_the_give_up_clock() -> None:
    redelivered = delivery(attempts=40, started=T0 + dt.timedelta(hours=100))
    after = after_attempt(redelivered, AttemptResult(None, "ReadTimeout", 10_000), T0 + dt.timedelta(hours=100), POLICY)
    assert after.state == "pending"


def queued(delivery_id: int, claim_id: str, seq: int, due_in_s: float) -> QueuedDelivery:
    return QueuedDelivery(delivery_id, claim_id, seq, T0 + dt.timedelta(seconds=due_in_s))


def test_only_the_oldest_pending_delivery_of_each_claim_goes() -> None:
    pending = [queued(3, "A", 30, 0), queued(1, "A", 10, 0), queued(2, "B", 20, 0), queued(4, "B", 40, 0)]
    assert [d.delivery_id for d in first_in_line(pending, T0, 10)] == [1, 2]


def test_a_claim_whose_oldest_delivery_waits_for_a_retry_sends_nothing_newer() -> None:
    pending = [queued(1, "A", 10, 60), queued(2, "A", 20, 0), queued(3, "B", 30, 0)]
    assert [d.delivery_id for d in first_in_line(pending, T0, 10)] == [3]
    assert [d.delivery_id for d in first_in_line(pending, T0 + dt.timedelta(seconds=60), 10)] == [3, 1]


def test_the_most_overdue_go_first_within_the_limit() -> None:
    pending = [queued(1, "A", 10, -5), queued(2, "B", 20, -50), queued(3, "C", 30, -20)]
    assert [d.delivery_id for d in first_in_line(pending, T0, 2)] == [2, 3]
