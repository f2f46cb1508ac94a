"""`guichet set-aside list|release|cancel`: the items background jobs set aside, and operators' decisions on them.

A job that cannot process one item on its own (a payment attempt that cannot go into a SEPA file, a claim the
registry-deadline sweep cannot judge, an e-mail whose headers cannot be built, an outbox row the broker refuses...)
sets it aside in its service's database and carries on. `list` reads every service's `set_aside_items` (for site
reliability engineers who hold the services' roles). `release` (try again) and `cancel` (give it up) are a person's
decisions: they go through the back-office's API with a personal token (see `backoffice_api`); releasing a blocked
payment waits for a second person. The owning service records the decision once, with its effect, in one
transaction (guichet_common.set_aside_decisions), and announces it.

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

from guichet_common.cli import ExitCode
from guichet_common.safe_text import printable
from guichet_common.set_aside import SetAsideItem, held_items
from guichet_common.set_aside_decisions import Owner, owners
from guichet_console.backoffice_api import Backoffice, Operator, Token, segment
from guichet_console.connect import SERVICES, Stack, current_stack
from guichet_console.decisions import print_decision
from guichet_console.operations import UNREACHABLE, Json, describe, fail, run
from guichet_eligibility import operators as eligibility
from guichet_intake import operators as intake
from guichet_notifications import operators as notifications
from guichet_payments import operators as payments

T = TypeVar("T")
Verb = Literal["release", "cancel"]

OPERATORS: dict[str, ModuleType] = {
    "intake": intake,
    "eligibility": eligibility,
    "payments": payments,
    "notifications": notifications,
}
OWNERS: dict[str, Owner] = owners(OPERATORS)  # which services hold items of each kind


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
            async with stack.connection(service) as conn:
                found += [Listed(service, item) for item in await held_items(conn, kind, limit)]
        except UNREACHABLE as error:
            errors[service] = describe(error)
    found.sort(key=lambda listed: (listed.item.set_aside_at, listed.service, listed.item.kind, listed.item.item_id))
    return found, errors


def holding_service(kind: str, service: str | None) -> str:
    """The service whose item the decision is on: the kind's only owner, or the one `--service` names. Raises
    ValueError, before anything is asked of the back-office."""
    owner = OWNERS.get(kind)
    if owner is None:
        raise ValueError(f"no service decides items of kind {printable(kind, 40)!r}; known: {', '.join(OWNERS)}")
    if service is not None:
        if service not in owner.services:
            owned_by = ", ".join(owner.services)
            raise ValueError(f"{printable(service, 40)} holds no items of kind {kind} (owned by {owned_by})")
        return service
    if len(owner.services) > 1:
        raise ValueError(f"every service may hold {kind} items: say which with --service")
    return owner.services[0]


# --- the commands -----------------------------------------------------------------------------------------------

app = typer.Typer(no_args_is_help=True, help="Items background jobs set aside: list, release (try again), cancel.")
Kind = Annotated[str, typer.Argument(metavar="KIND", help=f"one of {', '.join(OWNERS)}")]
ItemId = Annotated[str, typer.Argument(metavar="ID", help="the item's id, as `set-aside list` shows it")]
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
    kind: Kind,
    item_id: ItemId,
    reason: Reason,
    service: Service = None,
    token: Token = None,
    operator: Operator = None,
    as_json: Json = False,
) -> None:
    """Put the item back in its job's queue (once; a blocked payment waits for a second person)."""
    decide(kind, item_id, "release", reason, service, token, as_json)


@app.command()
def cancel(
    kind: Kind,
    item_id: ItemId,
    reason: Reason,
    service: Service = None,
    token: Token = None,
    operator: Operator = None,
    as_json: Json = False,
) -> None:
    """Give the item up, with the owner's effect (see each service's operators module); once."""
    decide(kind, item_id, "cancel", reason, service, token, as_json)


def decide(
    kind: str,
    item_id: str,
    verb: Verb,
    reason: str,
    service: str | None,
    token: str | None,
    as_json: bool,
    *,
    assign_to: str | None = None,
) -> None:
    """Ask the back-office for the decision and print it. `assign_to`: where a release sends the item, for the
    kinds that take one (a bank entry: `guichet finance suspense settle --to`)."""
    try:
        path = f"set-aside/{holding_service(kind, service)}/{segment(kind)}/{segment(item_id)}/{verb}"
    except ValueError as refused:
        fail(ExitCode.REFUSED, f"refused: {refused}")
    body = {"reason": reason} | ({"assign_to": assign_to} if assign_to is not None else {})
    print_decision(Backoffice.from_environment(token).post(path, body), as_json)


def _run(job: Coroutine[Any, Any, T]) -> T:
    """An unreachable database is "unavailable: ..." and exit code 3."""
    return run(job)
