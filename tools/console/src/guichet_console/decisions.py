"""`guichet decisions list|second|withdraw`, and how every write command prints the decision it took.

A decision the back-office records is complete at once (its command has left for the owning service, which
applies it and announces the outcome) or pending: four eyes are needed (an approval despite a fraud signal, a
dead-letter replay, the release of a blocked payment), and it waits until a supervisor other than its author
seconds it, or its author withdraws it. `--json` prints the back-office's answer as it is: {id, action, service,
target, kind, codes, reason, state, requested_by, requested_at, seconded_by, command_id}.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from guichet_common.safe_text import printable
from guichet_console.backoffice_api import Backoffice, Token
from guichet_console.operations import Json

app = typer.Typer(
    no_args_is_help=True,
    help="Decisions waiting for a second person, in the back-office: list, second, withdraw (needs --token).",
)
DecisionId = Annotated[str, typer.Argument(metavar="DECISION_ID", help="as `decisions list` or the write shows it")]


def print_decision(decision: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(decision, indent=2))
        return
    typer.echo("\n".join(decision_lines(decision)))


def decision_lines(decision: dict[str, Any]) -> list[str]:
    shown = {key: printable(str(decision.get(key) or ""), 120) for key in decision}
    what = f"{shown['action']} of {shown['target']}" + (f" ({shown['kind']})" if decision.get("kind") else "")
    if decision.get("state") == "complete":
        by = shown["requested_by"] + (f", seconded by {shown['seconded_by']}" if decision.get("seconded_by") else "")
        return [
            f"{what}: complete ({by})",
            f"  command {shown['command_id']} sent to {shown['service']}, which applies it and announces the outcome",
        ]
    if decision.get("state") == "pending":
        return [
            f"{what}: waiting for a second person (decision {shown['id']}, asked by {shown['requested_by']})",
            f"  a supervisor other than {shown['requested_by']} seconds it: guichet decisions second {shown['id']}",
            f"  or its author takes it back: guichet decisions withdraw {shown['id']}",
        ]
    return [f"{what}: {shown['state']} (decision {shown['id']})"]


def _checked(decision_id: str) -> str:
    try:
        return str(uuid.UUID(decision_id))
    except ValueError:
        raise typer.BadParameter("not a decision id (a UUID, as `decisions list` shows it)") from None


@app.command("list")
def list_(token: Token = None, as_json: Json = False) -> None:
    """Decisions waiting for a second person, oldest first."""
    waiting = Backoffice.from_environment(token).get("decisions").get("decisions", [])
    if as_json:
        typer.echo(json.dumps(waiting, indent=2))
        return
    table = Table(title=f"{len(waiting)} decision(s) waiting for a second person", title_justify="left")
    for column in ("id", "action", "target", "asked by", "since", "reason"):
        table.add_column(column, overflow="fold")
    for decision in waiting:
        table.add_row(
            *(Text(printable(str(decision.get(key) or ""), 200)) for key in ("id", "action", "target", "requested_by")),
            Text(printable(str(decision.get("requested_at", ""))[:19], 40)),
            Text(printable(str(decision.get("reason", "")), 200)),
        )
    Console().print(table)


@app.command()
def second(decision_id: DecisionId, token: Token = None, as_json: Json = False) -> None:
    """Second another person's pending decision (supervisors): it completes, and its command leaves."""
    backoffice = Backoffice.from_environment(token)
    print_decision(backoffice.post(f"decisions/{_checked(decision_id)}/second"), as_json)


@app.command()
def withdraw(decision_id: DecisionId, token: Token = None, as_json: Json = False) -> None:
    """Take back your own pending decision: nothing is sent."""
    backoffice = Backoffice.from_environment(token)
    print_decision(backoffice.post(f"decisions/{_checked(decision_id)}/withdraw"), as_json)
