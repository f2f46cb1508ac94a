"""`guichet trace CLAIM_ID`: one claim's story across every service, in time order and in plain words."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from guichet_common.cli import ExitCode
from guichet_console.connect import current_stack
from guichet_console.operations import Json
from guichet_console.report_format import json_text, outside, paris, shown
from guichet_console.trace_collect import ClaimHistory, collect
from guichet_console.trace_timeline import TraceEvent, timeline


def register(app: typer.Typer) -> None:
    app.command("trace")(trace)


def trace(
    claim_id: Annotated[str, typer.Argument(help="the claim's reference, e.g. CFN-2021-0000123")],
    as_json: Json = False,
) -> None:
    """One claim's story across every service: submission, decision rule by rule, review, payment, e-mails.

    Exit 1 when no readable service knows the claim, 3 when none does and a database could not be read."""
    history = asyncio.run(collect(current_stack(), claim_id))
    events = timeline(history)
    if as_json:
        typer.echo(json_text(as_document(history, events)))
    else:
        render(Console(), history, events)
    if not history.found:
        if not as_json:
            typer.echo(f"Aucune trace de la demande {outside(claim_id)} dans les services lisibles.", err=True)
        raise typer.Exit(ExitCode.UNREACHABLE if history.unreachable else ExitCode.REFUSED)


def as_document(history: ClaimHistory, events: list[TraceEvent]) -> dict:
    return {
        "claim_id": history.claim_id,
        "found": history.found,
        "unreachable": history.unreachable,
        "events": [event.as_json() for event in events],
    }


def render(console: Console, history: ClaimHistory, events: list[TraceEvent]) -> None:
    # Lines, not a table: a sentence cut by a narrow terminal or a pipe would no longer read (or grep) as one.
    # Titles and details quote what applicants, registries and operators wrote: Text, never markup, and escaped.
    console.print(Text.assemble(shown(f"Demande {history.claim_id}", "bold"), " (heures de Paris)"), soft_wrap=True)
    for event in events:
        when = paris(event.at) if event.at else "—"
        line = Text.assemble(f"{when:<19}  ", shown(f"{event.service:<13}"), " ", shown(event.title, "bold"))
        console.print(line, soft_wrap=True)
        for detail in event.details:
            console.print(Text(" " * 36) + shown(detail, _style(detail)), soft_wrap=True)


def _style(detail: str) -> str:
    return {"✗": "red", "?": "yellow"}.get(detail[:1], "")
