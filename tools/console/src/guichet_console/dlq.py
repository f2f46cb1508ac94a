"""`guichet dlq list|show|replay|discard`: dead letters of every consumed topic, and what operators did with them.

An ID is `<dlq topic>:<partition>:<offset>`, e.g. `claims.submitted.v1.dlq:2:7` (the deployment's prefix,
GUICHET_TOPIC_PREFIX, may be left out). `list` and `show` read the broker and the owners' databases, for site
reliability engineers who hold their roles, with personal data masked. `show --unmasked` is a person looking at
personal data: it reads the back-office's API with a personal token, which records the read in its audit trail
(and refuses roles that may not see dead letters). `replay` and `discard` are a person's decisions: they go through
the back-office's API with a personal token (see `backoffice_api`); a replay waits for a second person. The owning
service applies the command, once: a replay republishes the original record through its outbox to the topic's
replay topic (`<topic>.replay`), which it consumes with the original topic's handler. JSON keys: see `dlq_view`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from guichet_common.topics import owner_of
from guichet_console import dlq_ops, dlq_view
from guichet_console.backoffice_api import Backoffice, Operator, Token, segment
from guichet_console.connect import Stack, current_stack
from guichet_console.dead_letters import DeadLetterId
from guichet_console.decisions import print_decision
from guichet_console.operations import Json, run

T = TypeVar("T")

app = typer.Typer(
    no_args_is_help=True, help="Dead letters of every consumed topic: list, show, replay (once), discard."
)

Id = Annotated[str, typer.Argument(metavar="ID", help="<dlq topic>:<partition>:<offset>, as `dlq list` shows it")]
Reason = Annotated[str, typer.Option(help="why, in words (recorded)")]


@app.command("list")
def list_(
    topic: Annotated[str | None, typer.Option(help="only this topic's dead letters (with or without .dlq)")] = None,
    as_json: Json = False,
) -> None:
    """Every dead letter, read from the beginning of each .dlq topic, with its state."""
    stack = current_stack()
    listed = _run(dlq_ops.list_dead_letters(stack, dlq_view.topic_filter(topic, stack.topic_prefix)))
    now = dt.datetime.now(dt.UTC)
    rows = [dlq_view.summary_json(item.dead, item.action, item.known, stack.topic_prefix, now) for item in listed]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    Console().print(dlq_view.list_table(rows, [dlq_view.state_text(item.action, item.known) for item in listed]))


@app.command()
def show(
    dead_letter_id: Id,
    as_json: Json = False,
    unmasked: Annotated[
        bool,
        typer.Option(
            "--unmasked",
            help="show personal data as received, read through the back-office under your token (--token), which"
            " records who looked in its audit trail",
        ),
    ] = False,
    token: Token = None,
) -> None:
    """One dead letter: its headers and payload, personal data masked unless --unmasked."""
    if unmasked:
        _show_unmasked(dead_letter_id, token, as_json)
        return
    stack = current_stack()
    item = _run(dlq_ops.find(stack, _parse(dead_letter_id, stack)))
    detail = dlq_view.detail_json(item.dead, item.action, item.known, stack.topic_prefix, dt.datetime.now(dt.UTC))
    if as_json:
        typer.echo(dlq_view.json_text(detail))
        return
    state = dlq_view.state_text(item.action, item.known)
    typer.echo("\n".join(dlq_view.show_lines(item.dead, detail, state)))


@app.command()
def replay(
    dead_letter_id: Id, reason: Reason, token: Token = None, operator: Operator = None, as_json: Json = False
) -> None:
    """Ask the owning service to publish the dead letter's original record again, to its topic's replay topic that
    it consumes like the topic itself (once; a second person must second the replay)."""
    _decide(dead_letter_id, "replay", reason, token, as_json)


@app.command()
def discard(
    dead_letter_id: Id, reason: Reason, token: Token = None, operator: Operator = None, as_json: Json = False
) -> None:
    """Mark the dead letter as not to be replayed (once: the owner refuses a replayed or discarded one)."""
    _decide(dead_letter_id, "discard", reason, token, as_json)


def _show_unmasked(text: str, token: str | None, as_json: bool) -> None:
    # The back-office reads its own copy of the dead letter and audits the read before answering; no broker and no
    # owner's database is read here, so an unmasked read that is not recorded cannot happen from the console.
    prefix = os.environ.get("GUICHET_TOPIC_PREFIX", "")
    letter_id = _parse_prefixed(text, prefix)
    backoffice = Backoffice.from_environment(token)
    letter = backoffice.get(f"dead-letters/{segment(str(letter_id))}?unmasked=1")
    detail = dlq_view.from_backoffice(letter, prefix, dt.datetime.now(dt.UTC))
    typer.echo(dlq_view.json_text(detail) if as_json else "\n".join(dlq_view.backoffice_lines(detail)))


def _decide(text: str, verb: str, reason: str, token: str | None, as_json: bool) -> None:
    # The back-office knows a dead letter by its id on the broker, prefix included; no database is read here.
    letter_id = _parse_prefixed(text, os.environ.get("GUICHET_TOPIC_PREFIX", ""))
    backoffice = Backoffice.from_environment(token)
    print_decision(backoffice.post(f"dead-letters/{segment(str(letter_id))}/{verb}", {"reason": reason}), as_json)


def _parse_prefixed(text: str, prefix: str) -> DeadLetterId:
    try:
        parsed = dlq_view.parse_id(text, prefix)
        owner_of(parsed.topic.removeprefix(prefix))
    except (ValueError, KeyError) as error:
        raise typer.BadParameter(str(error).strip("'\""), param_hint="ID") from None
    return parsed


def _parse(text: str, stack: Stack) -> DeadLetterId:
    return _parse_prefixed(text, stack.topic_prefix)


def _run(job: Coroutine[Any, Any, T]) -> T:
    """A refusal is "refused: ..." and exit code 1; an unreachable broker or database "unavailable: ..." and 3."""
    return run(job, refusals=(dlq_ops.DeadLetterNotFound,))
