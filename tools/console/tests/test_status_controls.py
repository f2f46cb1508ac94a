"""`guichet status` shows controls and recovery per programme (JSON key `controls`), or says payments is away."""

from __future__ import annotations

import datetime as dt

from rich.console import Console

from guichet_common.figures import StageFigures
from guichet_console.status_model import PipelineStatus, ServiceFigures, as_json
from guichet_console.status_render import render

from .test_report_controls import RAW

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def status(reachable: bool = True) -> PipelineStatus:
    stage = StageFigures("payments", {"settled": 3}, 3, 3, 0, 0) if reachable else None
    payments = ServiceFigures("payments", stage, outbox_backlog=0, controls=RAW, error=None if reachable else "down")
    return PipelineStatus(NOW, {"payments": payments})


def test_the_json_carries_the_controls_section_or_null_when_payments_is_unreachable() -> None:
    document = as_json(status())["controls"]
    assert document["controlled"] == 12 and document["in_collection"] == 1
    assert document["by_programme"]["a"]["outstanding_cents"] == 100_000
    assert as_json(status(reachable=False))["controls"] is None


def test_the_screen_has_a_line_per_programme() -> None:
    console = Console(width=200, record=True)
    console.print(render(status()))
    text = console.export_text()
    assert "Controls and recovery" in text
    row = next(line for line in text.splitlines() if line.strip("│ ").startswith("a "))
    assert "10" in row and "1 000.00" in row and "33.3 %" in row
    console = Console(width=200, record=True)
    console.print(render(status(reachable=False)))
    assert "Controls and recovery: payments unreachable" in console.export_text()
