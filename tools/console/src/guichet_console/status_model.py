"""The pipeline's figures at one moment, and their JSON form (the keys `guichet status --json` prints).

Pure: `status_collect` fills these from the databases and Kafka, `status_render` draws them.

JSON keys::

    taken_at                      ISO 8601 UTC time the figures were read
    stages.<service>              one per service: intake, eligibility, payments, notifications
        reachable                 false when the service's database could not be read (then only `error`)
        error                     why it was unreachable (else null)
        received, done, failed, pending   claims (e-mails for notifications), from the service's own tables
        states                    the same claims by the service's own state names
        outbox_backlog            rows its relay has not published yet
    topics.<topic>                one per consumed topic, unprefixed name
        consumer                  the service consuming it (and owning its dead letters)
        lag                       records not yet consumed: sum over partitions of end offset - committed offset
        dead_letters.total        records on <topic>.dlq
        dead_letters.replayed / .discarded   of those, acted on by an operator (owner's dead_letter_actions)
        dead_letters.waiting      total - replayed - discarded
        (lag and dead_letters are null when Kafka, or for dead_letters the owner's database, was unreachable)
    kafka.reachable, kafka.error
    budgets.<programme>           total_cents, reserved_cents, paid_cents, released_cents, available_cents
                                  (null when payments is unreachable)
    emails_in_doubt               e-mails in state 'sending': the SMTP server may have taken them before a crash
                                  (null when notifications is unreachable)
    set_aside.<service>.<kind>    items its background jobs set aside and nobody released or cancelled yet
                                  (`guichet set-aside list`); {} when none, null when the service is unreachable
    set_aside_total               the sum of those (of the reachable services)
    controls                      post-payment controls and recovery orders, all programmes, with `by_programme`:
                                  the keys of `guichet report --json`'s `controls` (null when payments is unreachable)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from guichet_common.figures import BudgetFigures, StageFigures
from guichet_console.dead_letters import DeadLetterAction
from guichet_console.report_controls import controls_document

PIPELINE = ("intake", "eligibility", "payments", "notifications")


@dataclass(frozen=True)
class ServiceFigures:
    service: str
    stage: StageFigures | None = None  # None: the database was unreachable
    outbox_backlog: int | None = None
    dead_letter_actions: Sequence[DeadLetterAction] = ()
    budgets: Sequence[BudgetFigures] = ()  # payments only
    set_aside: Mapping[str, int] = field(default_factory=dict)  # held items by kind
    controls: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # payments only, by programme
    error: str | None = None

    @property
    def reachable(self) -> bool:
        return self.stage is not None


@dataclass(frozen=True)
class DeadLetterFigures:
    total: int
    replayed: int
    discarded: int

    @property
    def waiting(self) -> int:
        return max(0, self.total - self.replayed - self.discarded)


@dataclass(frozen=True)
class TopicFigures:
    topic: str  # unprefixed
    consumer: str
    lag: int | None
    dead_letters: DeadLetterFigures | None


@dataclass(frozen=True)
class PipelineStatus:
    taken_at: dt.datetime
    services: Mapping[str, ServiceFigures]
    topics: Sequence[TopicFigures] = ()
    kafka_error: str | None = None

    @property
    def budgets(self) -> Sequence[BudgetFigures] | None:
        payments = self.services.get("payments")
        return payments.budgets if payments is not None and payments.reachable else None

    @property
    def controls(self) -> dict[str, Any] | None:
        payments = self.services.get("payments")
        return controls_document(payments.controls, None) if payments is not None and payments.reachable else None

    @property
    def emails_in_doubt(self) -> int | None:
        notifications = self.services.get("notifications")
        if notifications is None or notifications.stage is None:
            return None
        return notifications.stage.counts.get("sending", 0)

    @property
    def set_aside(self) -> dict[str, dict[str, int] | None]:
        """Held items by service and kind; None for a service that could not be read."""
        return {
            name: dict(sorted(figures.set_aside.items())) if figures.reachable else None
            for name, figures in self.services.items()
        }

    @property
    def set_aside_total(self) -> int:
        return sum(sum(kinds.values()) for kinds in self.set_aside.values() if kinds)


def dead_letter_figures(
    ranges: Mapping[int, tuple[int, int]], actions: Sequence[DeadLetterAction], dlq_topic: str
) -> DeadLetterFigures:
    """Counts for one `.dlq` topic from its partitions' (first offset, end offset). Only actions on records still
    on the broker count, so retention deleting old dead letters cannot make `waiting` negative or wrong."""
    acted = [
        a
        for a in actions
        if a.id.topic == dlq_topic
        and a.id.partition in ranges
        and ranges[a.id.partition][0] <= a.id.offset < ranges[a.id.partition][1]
    ]
    return DeadLetterFigures(
        total=sum(end - beginning for beginning, end in ranges.values()),
        replayed=sum(1 for a in acted if a.action == "replayed"),
        discarded=sum(1 for a in acted if a.action == "discarded"),
    )


def lag_of(ends: Mapping[int, tuple[int, int]], committed: Mapping[int, int]) -> int:
    """Sum over partitions of end offset minus the committed one; a partition the group never committed counts
    from its first offset (the services start a new group at the earliest offset)."""
    return sum(end - min(end, committed.get(partition, beginning)) for partition, (beginning, end) in ends.items())


def as_json(status: PipelineStatus) -> dict[str, Any]:
    budgets = status.budgets
    return {
        "taken_at": status.taken_at.isoformat(),
        "stages": {name: _service_json(figures) for name, figures in status.services.items()},
        "topics": {
            t.topic: {
                "consumer": t.consumer,
                "lag": t.lag,
                "dead_letters": None
                if t.dead_letters is None
                else {
                    "total": t.dead_letters.total,
                    "replayed": t.dead_letters.replayed,
                    "discarded": t.dead_letters.discarded,
                    "waiting": t.dead_letters.waiting,
                },
            }
            for t in status.topics
        },
        "kafka": {"reachable": status.kafka_error is None, "error": status.kafka_error},
        "budgets": None
        if budgets is None
        else {
            b.programme: {
                "total_cents": b.total_cents,
                "reserved_cents": b.reserved_cents,
                "paid_cents": b.paid_cents,
                "released_cents": b.released_cents,
                "available_cents": b.available_cents,
            }
            for b in budgets
        },
        "emails_in_doubt": status.emails_in_doubt,
        "set_aside": status.set_aside,
        "set_aside_total": status.set_aside_total,
        "controls": status.controls,
    }


def _service_json(figures: ServiceFigures) -> dict[str, Any]:
    if figures.stage is None:
        return {"reachable": False, "error": figures.error}
    stage = figures.stage
    return {
        "reachable": True,
        "error": None,
        "received": stage.received,
        "done": stage.done,
        "failed": stage.failed,
        "pending": stage.pending,
        "states": dict(stage.counts),
        "outbox_backlog": figures.outbox_backlog,
    }
