"""`guichet dlq list|show|replay|discard`: dead letters of every consumed topic, and what operators did with them.

An ID is `<dlq topic>:<partition>:<offset>`, e.g. `claims.submitted.v1.dlq:2:7` (the deployment's prefix may be
left out). Replays and discards are recorded, once each, in the database of the service owning the topic; a
replay republishes the original record through that service's outbox to the topic's replay topic
(`<topic>.replay`), which the owner may write under its Kafka grants and consumes with the same handler as the
original topic. JSON keys: see `dlq_view`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from guichet_console import dlq_ops, dlq_view
from guichet_console.connect import Stack, current_stack
from guichet_console.dead_letters import DeadLetterAlreadyHandled, DeadLetterId, NotReplayable
from guichet_console.operations import Json, run

T = TypeVar("T")

app = typer.Typer(
    no_args_is_help=True, help="Dead letters of every consumed topic: list, show, replay (once), discard."
)

Id = Annotated[str, typer.Argument(metavar="ID", help="<dlq topic>:<partition>:<offset>, as `dlq list` shows it")]
Operator = Annotated[str, typer.Option(help="who acts (recorded)")]
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
    unmasked: Annotated[bool, typer.Option("--unmasked", help="show personal data as received")] = False,
) -> None:
    """One dead letter: its headers and payload, personal data masked unless --unmasked."""
    stack = current_stack()
    item = _run(dlq_ops.find(stack, _parse(dead_letter_id, stack)))
    detail = dlq_view.detail_json(
        item.dead, item.action, item.known, stack.topic_prefix, dt.datetime.now(dt.UTC), unmasked=unmasked
    )
    if as_json:
        typer.echo(dlq_view.json_text(detail))
        return
    state = dlq_view.state_text(item.action, item.known)
    typer.echo("\n".join(dlq_view.show_lines(item.dead, detail, state, unmasked=unmasked)))


@app.command()
def replay(dead_letter_id: Id, operator: Operator, reason: Reason, as_json: Json = False) -> None:
    """Publish the dead letter's original record again, to its topic's replay topic that its owner consumes like
    the topic itself (once: a second replay is refused)."""
    stack = current_stack()
    parsed = _parse(dead_letter_id, stack)
    message = _run(dlq_ops.replay(stack, parsed, operator, reason))
    shown, topic = dlq_view.display_id(parsed, stack.topic_prefix), message.topic.removeprefix(stack.topic_prefix)
    owner = dlq_ops.owner(stack, parsed)
    if as_json:
        typer.echo(json.dumps({"id": shown, "action": "replayed", "operator": operator, "republished_to": topic}))
        return
    typer.echo(
        f"{shown} replayed by {operator}: queued for {topic} in {owner}'s outbox"
        f" (its relay publishes it; {owner} consumes it like {dlq_ops.original(stack, parsed)})"
    )


@app.command()
def discard(dead_letter_id: Id, operator: Operator, reason: Reason, as_json: Json = False) -> None:
    """Mark the dead letter as not to be replayed (once: a replayed or discarded one is refused)."""
    stack = current_stack()
    parsed = _parse(dead_letter_id, stack)
    _run(dlq_ops.discard(stack, parsed, operator, reason))
    shown = dlq_view.display_id(parsed, stack.topic_prefix)
    if as_json:
        typer.echo(json.dumps({"id": shown, "action": "discarded", "operator": operator}))
        return
    typer.echo(f"{shown} discarded by {operator}")


def _parse(text: str, stack: Stack) -> DeadLetterId:
    try:
        parsed = dlq_view.parse_id(text, stack.topic_prefix)
        dlq_ops.owner(stack, parsed)
    except (ValueError, KeyError) as error:
        raise typer.BadParameter(str(error).strip("'\""), param_hint="ID") from None
    return parsed


def _run(job: Coroutine[Any, Any, T]) -> T:
    """A refusal is "refused: ..." and exit code 1; an unreachable broker or database "unavailable: ..." and 3."""
    return run(job, refusals=(DeadLetterAlreadyHandled, NotReplayable, dlq_ops.DeadLetterNotFound))
