"""`guichet set-aside list|release|cancel`: the items background jobs set aside, and operators' decisions on them.

A job that cannot process one item on its own (a payment attempt that cannot go into a SEPA file, a claim the
registry-deadline sweep cannot judge, an e-mail whose headers cannot be built, an outbox row the broker refuses...)
sets it aside in its service's database and carries on. `list` reads every service's `set_aside_items`; `release`
(try again) and `cancel` (give it up) are recorded once, with the operator and a reason (as in `guichet review`),
in the owning service's database, in the transaction that applies the service's own effect.

Everything shown from an item (its id and reason come from outside) goes through `safe_text.printable`.
"""

from __future__ import annotations

import json
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Annotated, Any, Literal, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from guichet_common.safe_text import printable
from guichet_common.set_aside import Announcer, SetAsideDecisionRefused, SetAsideItem, held_items, is_held
from guichet_common.set_aside_decisions import Owner, owners
from guichet_common.set_aside_decisions import decide as decide_set_aside
from guichet_console.connect import SERVICES, Stack, current_stack
from guichet_console.operations import UNREACHABLE, Json, describe, run
from guichet_eligibility import operators as eligibility
from guichet_intake import operators as intake
from guichet_notifications import operators as notifications
from guichet_payments import operators as payments

T = TypeVar("T")
Decision = Literal["released", "cancelled"]

OPERATORS: dict[str, ModuleType] = {
    "intake": intake,
    "eligibility": eligibility,
    "payments": payments,
    "notifications": notifications,
}
OWNERS: dict[str, Owner] = owners(OPERATORS)


class Refused(Exception):
    """The decision cannot be taken; nothing was changed."""


@dataclass(frozen=True)
class Listed:
    service: str
    item: SetAsideItem


async def list_items(
    stack: Stack, services: Sequence[str], kind: str | None, limit: int
) -> tuple[list[Listed], dict[str, str]]:
    """Held items of every service asked (oldest first), and the services that could not be read, with why."""
    found: list[Listed] = []
    errors: dict[str, str] = {}
    for service in services:
        try:
            async with stack.connection(service, readonly=True) as conn:
                found += [Listed(service, item) for item in await held_items(conn, kind, limit)]
        except UNREACHABLE as error:
            errors[service] = describe(error)
    found.sort(key=lambda listed: (listed.item.set_aside_at, listed.service, listed.item.kind, listed.item.item_id))
    return found, errors


async def decide(
    stack: Stack, kind: str, item_id: str, decision: Decision, operator: str, reason: str, service: str | None
) -> tuple[str, str | None]:
    """Record the decision, apply and announce it in the owner's database, in one transaction (the same steps as a
    back-office command, `guichet_common.set_aside_decisions.decide`). Returns (service, effect)."""
    owner = OWNERS.get(kind)
    if owner is None:
        raise Refused(f"no service decides items of kind {printable(kind, 40)!r}; known: {', '.join(OWNERS)}")
    where = await _service_holding(stack, owner, kind, item_id, service)
    async with stack.connection(where, readonly=False) as conn:
        announcer = Announcer(where, stack.topic_prefix)
        decided = await decide_set_aside(conn, owner, kind, item_id, decision, operator, reason, announcer=announcer)
    return where, decided.effect


async def _service_holding(stack: Stack, owner: Owner, kind: str, item_id: str, service: str | None) -> str:
    if service is not None:
        if service not in owner.services:
            raise Refused(f"{service} holds no items of kind {kind} (owned by {', '.join(owner.services)})")
        return service
    if len(owner.services) == 1:
        return owner.services[0]
    holding = []
    for candidate in owner.services:
        async with stack.connection(candidate, readonly=True) as conn:
            if await is_held(conn, kind, item_id):
                holding.append(candidate)
    if len(holding) != 1:
        shown = f"{kind} {printable(item_id, 80)}"
        raise Refused(
            f"{shown} is held by {', '.join(holding)}: say which with --service"
            if holding
            else f"{shown} is not held by any service"
        )
    return holding[0]


# --- the commands -----------------------------------------------------------------------------------------------

app = typer.Typer(no_args_is_help=True, help="Items background jobs set aside: list, release (try again), cancel.")
Kind = Annotated[str, typer.Argument(metavar="KIND", help=f"one of {', '.join(OWNERS)}")]
ItemId = Annotated[str, typer.Argument(metavar="ID", help="the item's id, as `set-aside list` shows it")]
Operator = Annotated[str, typer.Option(help="who decides (recorded)")]
Reason = Annotated[str, typer.Option(help="why, in words (recorded)")]
Service = Annotated[str | None, typer.Option(help="the service holding it, for kinds every service has")]


def item_json(listed: Listed) -> dict[str, Any]:
    item = listed.item
    return {
        "service": listed.service,
        "kind": printable(item.kind),
        "item_id": printable(item.item_id),
        "reason": printable(item.reason),
        "set_aside_at": item.set_aside_at.isoformat(),
        "state": item.state,
    }


@app.command("list")
def list_(
    service: Annotated[str | None, typer.Option(help=f"only this service: {', '.join(SERVICES)}")] = None,
    kind: Annotated[str | None, typer.Option(help="only this kind")] = None,
    limit: Annotated[int, typer.Option(min=1, help="at most this many per service")] = 100,
    as_json: Json = False,
) -> None:
    """Held items of every service, oldest first."""
    if service is not None and service not in SERVICES:
        raise typer.BadParameter(f"not one of {', '.join(SERVICES)}", param_hint="--service")
    stack = current_stack()
    listed, errors = _run(list_items(stack, [service] if service else list(SERVICES), kind, limit))
    for name, error in errors.items():
        typer.echo(f"{name}: unreachable ({error})", err=True)
    if as_json:
        typer.echo(json.dumps({"items": [item_json(one) for one in listed], "unreachable": errors}, indent=2))
        return
    table = Table(title=f"{len(listed)} item(s) set aside", title_justify="left")
    for column in ("service", "kind", "id", "since", "reason"):
        table.add_column(column, overflow="fold")
    for one in listed:
        shown = item_json(one)
        table.add_row(
            *(Text(shown[key]) for key in ("service", "kind", "item_id")),
            Text(f"{one.item.set_aside_at:%Y-%m-%d %H:%M:%S}"),
            Text(printable(one.item.reason, 200)),
        )
    Console().print(table)


@app.command()
def release(
    kind: Kind, item_id: ItemId, operator: Operator, reason: Reason, service: Service = None, as_json: Json = False
) -> None:
    """Put the item back in its job's queue (once: a decided item is refused)."""
    _decide(kind, item_id, "released", operator, reason, service, as_json)


@app.command()
def cancel(
    kind: Kind, item_id: ItemId, operator: Operator, reason: Reason, service: Service = None, as_json: Json = False
) -> None:
    """Give the item up, with the owner's effect (see each service's operators module); once."""
    _decide(kind, item_id, "cancelled", operator, reason, service, as_json)


def _decide(
    kind: str, item_id: str, decision: Decision, operator: str, reason: str, service: str | None, as_json: bool
) -> None:
    stack = current_stack()
    where, effect = _run(decide(stack, kind, item_id, decision, operator, reason, service))
    shown = {"service": where, "kind": printable(kind), "item_id": printable(item_id), "decision": decision}
    if as_json:
        typer.echo(json.dumps({**shown, "operator": printable(operator), "effect": effect}))
        return
    typer.echo(
        f"{shown['kind']} {shown['item_id']} {decision} by {printable(operator)} in {where}"
        + (f": {effect}" if effect else "")
    )


def _run(job: Coroutine[Any, Any, T]) -> T:
    """A refusal is "refused: ..." and exit code 1; an unreachable database "unavailable: ..." and exit code 3."""
    return run(job, refusals=(Refused, SetAsideDecisionRefused))
