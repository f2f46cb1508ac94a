"""`guichet status` figures without I/O: lag, dead letters net of actions, the JSON shape and the screen."""

import datetime as dt

from rich.console import Console

from guichet_common.figures import BudgetFigures, StageFigures
from guichet_console.dead_letters import DeadLetterAction, DeadLetterId
from guichet_console.status_model import (
    PipelineStatus,
    ServiceFigures,
    TopicFigures,
    as_json,
    dead_letter_figures,
    lag_of,
)
from guichet_console.status_render import budget_bar, render

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
DLQ = "p.claims.submitted.v1.dlq"


def action(partition: int, offset: int, what: str, topic: str = DLQ) -> DeadLetterAction:
    return DeadLetterAction(DeadLetterId(topic, partition, offset), what, "alice", "why", NOW)


def test_lag_counts_from_the_committed_offset_or_from_the_first_one_never_committed() -> None:
    ends = {0: (0, 10), 1: (5, 8), 2: (0, 0)}
    assert lag_of(ends, {0: 7}) == 3 + 3
    assert lag_of(ends, {0: 10, 1: 8}) == 0


def test_dead_letters_waiting_are_those_on_the_broker_not_yet_acted_on() -> None:
    ranges = {0: (0, 3), 1: (2, 4)}  # partition 1 lost offsets 0 and 1 to retention
    actions = [
        action(0, 0, "replayed"),
        action(0, 2, "discarded"),
        action(1, 0, "replayed"),  # no longer on the broker: not counted
        action(0, 1, "replayed", topic="p.claims.status.v1.dlq"),  # another topic
    ]
    figures = dead_letter_figures(ranges, actions, DLQ)
    assert (figures.total, figures.replayed, figures.discarded, figures.waiting) == (5, 1, 1, 3)


def pipeline(payments_reachable: bool = True) -> PipelineStatus:
    intake = ServiceFigures(
        "intake", StageFigures("intake", {"registered": 8, "refused": 2}, 10, 8, 2, 0), outbox_backlog=1
    )
    payments = (
        ServiceFigures(
            "payments",
            StageFigures("payments", {"sent": 3}, 3, 3, 0, 0),
            outbox_backlog=0,
            budgets=[BudgetFigures("cfn", 1_000_000, 150_000, 50_000, 0)],
        )
        if payments_reachable
        else ServiceFigures("payments", error="OSError: connection refused")
    )
    notifications = ServiceFigures(
        "notifications", StageFigures("notifications", {"sending": 1, "sent": 4}, 5, 4, 0, 1), outbox_backlog=0
    )
    services = {"intake": intake, "payments": payments, "notifications": notifications}
    dead = dead_letter_figures({0: (0, 2)}, [action(0, 1, "replayed")], DLQ)
    topics = [TopicFigures("claims.submitted.v1", "intake", 4, dead), TopicFigures("claims.status.v1", "x", None, None)]
    return PipelineStatus(NOW, services, topics)


def test_the_json_form_holds_every_figure_under_documented_keys() -> None:
    shown = as_json(pipeline())
    assert shown["taken_at"] == "2026-12-01T12:00:00+00:00"
    assert shown["stages"]["intake"] == {
        "reachable": True,
        "error": None,
        "received": 10,
        "done": 8,
        "failed": 2,
        "pending": 0,
        "states": {"registered": 8, "refused": 2},
        "outbox_backlog": 1,
    }
    assert shown["topics"]["claims.submitted.v1"] == {
        "consumer": "intake",
        "lag": 4,
        "dead_letters": {"total": 2, "replayed": 1, "discarded": 0, "waiting": 1},
    }
    assert shown["topics"]["claims.status.v1"]["dead_letters"] is None
    assert shown["budgets"] == {
        "cfn": {
            "total_cents": 1_000_000,
            "reserved_cents": 150_000,
            "paid_cents": 50_000,
            "released_cents": 0,
            "available_cents": 850_000,
        }
    }
    assert (shown["emails_in_doubt"], shown["kafka"]) == (1, {"reachable": True, "error": None})


def test_an_unreachable_service_is_shown_as_such_and_its_figures_are_null() -> None:
    shown = as_json(pipeline(payments_reachable=False))
    assert shown["stages"]["payments"] == {"reachable": False, "error": "OSError: connection refused"}
    assert shown["budgets"] is None
    console = Console(record=True, width=200)
    console.print(render(pipeline(payments_reachable=False)))
    screen = console.export_text()
    assert "unreachable: OSError: connection refused" in screen
    assert "Budgets: payments unreachable" in screen


def test_the_budget_bar_shows_paid_then_reserved_then_available_in_proportion() -> None:
    bar = budget_bar(BudgetFigures("cfn", 1_000, 500, 250, 0), width=8)
    assert bar == "██▓▓░░░░"
    assert budget_bar(BudgetFigures("cfn", 0, 0, 0, 0), width=4) == "░░░░"
    assert budget_bar(BudgetFigures("cfn", 6_000_000_000, 5_400_000, 5_400_000, 0), width=4) == "█░░░"


def test_the_screen_shows_the_figures() -> None:
    console = Console(record=True, width=200)
    console.print(render(pipeline()))
    screen = console.export_text()
    assert "claims.submitted.v1" in screen and "E-mails in doubt" in screen and "8 500.00" in screen


def test_set_aside_items_are_shown_by_service_and_kind_and_null_when_unreachable() -> None:
    status = pipeline(payments_reachable=False)
    held = ServiceFigures(
        "payments",
        StageFigures("payments", {"scheduled": 3}, 3, 0, 0, 3),
        outbox_backlog=0,
        set_aside={"return_expiry": 1, "payment_attempt": 2},
    )
    shown = as_json(PipelineStatus(NOW, {**status.services, "payments": held}, status.topics))
    assert shown["set_aside"] == {
        "intake": {},
        "payments": {"payment_attempt": 2, "return_expiry": 1},
        "notifications": {},
    }
    assert shown["set_aside_total"] == 3
    assert as_json(status)["set_aside"]["payments"] is None
    console = Console(record=True, width=200)
    console.print(render(PipelineStatus(NOW, {**status.services, "payments": held}, status.topics)))
    screen = console.export_text()
    assert "Set aside, waiting for an operator (`guichet set-aside list`): 3" in screen
    assert "payments payment_attempt 2" in screen
