"""Draws `PipelineStatus` as one rich screen: stages, topics, outbox, budgets, e-mails in doubt."""

from __future__ import annotations

import sys

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from guichet_common.figures import BudgetFigures
from guichet_common.safe_text import printable
from guichet_console.report_controls import percent
from guichet_console.status_model import PipelineStatus

BAR_WIDTH = 30
WIDTH_OFF_TERMINAL = 120
PAID, RESERVED, AVAILABLE = "█", "▓", "░"


def console() -> Console:
    """A terminal's own width; 120 columns when printing to a file or a pipe (rich would use 80)."""
    return Console() if sys.stdout.isatty() else Console(width=WIDTH_OFF_TERMINAL)


def render(status: PipelineStatus) -> RenderableType:
    return Group(
        Text(f"Guichet pipeline at {status.taken_at:%Y-%m-%d %H:%M:%S} UTC", style="bold"),
        stages_table(status),
        topics_table(status),
        budgets_table(status),
        controls_table(status),
        Text(_emails_line(status)),
        set_aside_text(status),
    )


def stages_table(status: PipelineStatus) -> Table:
    table = Table(title="Stages", title_justify="left", expand=False)
    for column in ("stage", "received", "done", "failed", "pending", "outbox", "states"):
        left, wraps = column in ("stage", "states"), column == "states"
        table.add_column(column, justify="left" if left else "right", no_wrap=not wraps)
    for name, figures in status.services.items():
        if figures.stage is None:
            table.add_row(name, *["?"] * 5, Text(f"unreachable: {figures.error}", style="red"))
            continue
        stage = figures.stage
        states = "  ".join(f"{state} {count}" for state, count in stage.counts.items())
        table.add_row(
            name,
            *(str(n) for n in (stage.received, stage.done, stage.failed, stage.pending)),
            _number(figures.outbox_backlog),
            states,
        )
    return table


def topics_table(status: PipelineStatus) -> Table:
    title = "Consumed topics" + (f"  [red]Kafka unreachable: {status.kafka_error}[/red]" if status.kafka_error else "")
    table = Table(title=title, title_justify="left")
    for column in ("topic", "consumer", "lag", "DLQ waiting", "replayed", "discarded"):
        table.add_column(column, justify="left" if column in ("topic", "consumer") else "right", no_wrap=True)
    for topic in status.topics:
        dead = topic.dead_letters
        waiting = Text("?") if dead is None else Text(str(dead.waiting), style="red" if dead.waiting else "")
        table.add_row(
            topic.topic,
            topic.consumer,
            _number(topic.lag),
            waiting,
            _number(dead.replayed if dead else None),
            _number(dead.discarded if dead else None),
        )
    return table


def budgets_table(status: PipelineStatus) -> RenderableType:
    budgets = status.budgets
    if budgets is None:
        return Text("Budgets: payments unreachable", style="red")
    table = Table(title=f"Budgets ({PAID} paid  {RESERVED} reserved  {AVAILABLE} available)", title_justify="left")
    for column in ("programme", "", "paid €", "reserved €", "available €", "total €"):
        table.add_column(column, justify="left" if column in ("programme", "") else "right")
    for budget in budgets:
        table.add_row(
            budget.programme,
            budget_bar(budget),
            euros(budget.paid_cents),
            euros(budget.reserved_cents),
            euros(budget.available_cents),
            euros(budget.total_cents),
        )
    return table


def controls_table(status: PipelineStatus) -> RenderableType:
    controls = status.controls
    if controls is None:
        return Text("Controls and recovery: payments unreachable", style="red")
    table = Table(title="Controls and recovery (`guichet recovery list`)", title_justify="left")
    columns = ("programme", "controlled", "pending", "non-compliant", "ordered €", "recovered €", "outstanding €")
    for column in (*columns, "in collection", "recovered"):
        table.add_column(column, justify="left" if column == "programme" else "right")
    for programme, figures in controls["by_programme"].items():
        undue = figures["by_outcome"]["non_compliant"] + figures["by_outcome"]["no_answer"]
        table.add_row(
            Text(printable(programme, 64)),
            *(str(n) for n in (figures["controlled"], figures["by_outcome"]["pending"], undue)),
            *(euros(figures[key]) for key in ("ordered_cents", "recovered_cents", "outstanding_cents")),
            str(figures["in_collection"]),
            percent(figures["recovery_rate"]).replace(",", "."),
        )
    return table


def budget_bar(budget: BudgetFigures, width: int = BAR_WIDTH) -> str:
    """Paid, then reserved but not yet paid, then available, in proportion to the total."""
    if budget.total_cents <= 0:
        return AVAILABLE * width
    reserved = _cells(budget.reserved_cents, budget.total_cents, width)
    paid = min(reserved, _cells(budget.paid_cents, budget.total_cents, width))
    return PAID * paid + RESERVED * (reserved - paid) + AVAILABLE * (width - reserved)


def euros(cents: int) -> str:
    return f"{cents / 100:,.2f}".replace(",", " ")


def _cells(part: int, total: int, width: int) -> int:
    # Any money at all gets a cell: 54,000 € paid of 60 M€ must not look like nothing paid.
    return max(1 if part > 0 else 0, min(width, round(width * part / total)))


def _number(value: int | None) -> str:
    return "?" if value is None else str(value)


def set_aside_text(status: PipelineStatus) -> Text:
    """Held items by service and kind, in red when there are any: each one waits for an operator."""
    parts: list[str] = []
    for service, kinds in status.set_aside.items():
        if kinds is None:
            parts.append(f"{service} unreachable")
        else:
            parts += [f"{service} {printable(kind, 40)} {count}" for kind, count in kinds.items()]
    total = status.set_aside_total
    line = f"Set aside, waiting for an operator (`guichet set-aside list`): {total}"
    if parts:
        line += f"  ({', '.join(parts)})"
    return Text(line, style="red" if total else "")


def _emails_line(status: PipelineStatus) -> str:
    doubt = status.emails_in_doubt
    if doubt is None:
        return "E-mails in doubt: notifications unreachable"
    return f"E-mails in doubt (state 'sending'; the SMTP server may have taken them before a crash): {doubt}"
