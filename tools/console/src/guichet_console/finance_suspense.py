"""`guichet finance suspense [--json]`, `… settle ENTRY [--to PAYMENT_ID:ATTEMPT] --reason …`, `… discard ENTRY
--reason …`: the bank entries payments could not apply on its own, and finance's decisions on them.

An entry is in suspense when it matches no attempt, or several, or an attempt in a state it cannot apply to. The
list reads payments' database (read-only, IBANs masked). A decision is a person's: it goes through the back-office's
API with a personal token, as `guichet set-aside release|cancel` on the entry's set-aside item (kind `bank_entry`,
item id: the entry's id), and payments applies it in the transaction that records it:

- settle: the entry's effect (a booking settles, a return returns) is applied to the attempt `--to` names, or, without
  it, to the one its own references match; refused when that attempt cannot take it (already returned, rejected...);
- discard: the entry changes no payment.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from guichet_common.safe_text import printable
from guichet_console.backoffice_api import Operator, Token
from guichet_console.connect import Stack, current_stack
from guichet_console.operations import Json, run
from guichet_console.set_aside import decide
from guichet_payments import operators as payments

KIND = "bank_entry"
SHOWN = ("entry_id", "file_name", "effect", "end_to_end_id", "amount_cents", "iban_masked", "reason_code")

suspense_app = typer.Typer(
    help="Bank entries that matched nothing (or an attempt in the wrong state): list, settle, discard.",
    rich_markup_mode=None,
)
Entry = Annotated[str, typer.Argument(metavar="ENTRY", help="the entry's id, as `guichet finance suspense` shows it")]
Reason = Annotated[str, typer.Option(help="why, in words (recorded with the decision)")]
To = Annotated[
    str | None,
    typer.Option("--to", metavar="PAYMENT_ID:ATTEMPT", help="the attempt the entry belongs to (else: its references)"),
]
Limit = Annotated[int, typer.Option(min=1, help="at most this many, oldest first")]


async def open_entries(stack: Stack, limit: int) -> list[Any]:
    """payments' `SuspenseEntry` values, oldest first."""
    async with stack.connection("payments") as conn:
        return await payments.suspense_entries(conn, limit)


@suspense_app.callback(invoke_without_command=True)
def suspense(ctx: typer.Context, limit: Limit = 200, as_json: Json = False) -> None:
    """The entries in suspense, oldest first (read-only)."""
    if ctx.invoked_subcommand is not None:
        return
    entries = run(open_entries(current_stack(databases=("payments",)), limit))
    if as_json:
        typer.echo(json.dumps({"entries": [entry.as_json() for entry in entries]}, indent=2))
        return
    table = Table(
        title=f"{len(entries)} bank entr{'y' if len(entries) == 1 else 'ies'} in suspense", title_justify="left"
    )
    for column in ("entry", "file", "effect", "EndToEndId", "amount", "account", "code", "since", "why"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        shown = {key: printable(str(value), 80) if value is not None else "" for key, value in entry.as_json().items()}
        amount = f"{entry.amount_cents / 100:.2f}" if entry.amount_cents is not None else ""
        table.add_row(
            *(Text(shown[key]) for key in ("entry_id", "file_name", "effect", "end_to_end_id")),
            Text(amount),
            Text(shown["iban_masked"]),
            Text(shown["reason_code"]),
            Text(f"{entry.created_at:%Y-%m-%d %H:%M}"),
            Text(printable(entry.suspense_reason or "", 200)),
        )
    Console().print(table)


@suspense_app.command()
def settle(
    entry: Entry,
    reason: Reason,
    to: To = None,
    token: Token = None,
    operator: Operator = None,
    as_json: Json = False,
) -> None:
    """Apply the entry to the attempt `--to` names, or to the one its own references match (once)."""
    decide(KIND, entry, "release", reason, "payments", token, as_json, assign_to=to)


@suspense_app.command()
def discard(
    entry: Entry, reason: Reason, token: Token = None, operator: Operator = None, as_json: Json = False
) -> None:
    """Leave the entry aside for good: it changes no payment (once)."""
    decide(KIND, entry, "cancel", reason, "payments", token, as_json)
