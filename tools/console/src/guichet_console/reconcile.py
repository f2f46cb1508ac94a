"""`guichet reconcile`: what the payments database says was reserved, paid and batched, and whether it all adds up
(each SEPA file against its batch row and attempts, the budget identity per programme, nobody paid twice).

Read-only, from one repeatable-read snapshot, through `guichet_payments.operators`; needs only
PAYMENTS_DATABASE_URL, else the local stack. Exit 0 when every check agrees, 1 when one disagrees, 3 when the
database cannot be read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import asyncpg
import typer

from guichet_common.cli import ExitCode
from guichet_console.connect import current_stack
from guichet_console.operations import Json, describe, fail
from guichet_payments import operators as payments

T = TypeVar("T")


def reconcile(as_json: Json = False) -> None:
    """Payments' figures and the checks that they add up (exit 1 when one disagrees)."""
    show(read_payments(payments.reconcile_database), as_json)


def read_payments(read: Callable[[str], Coroutine[Any, Any, T]]) -> T:
    """Runs `read` on payments' database URL; exit 3 when that database cannot be read."""
    stack = current_stack(databases=("payments",))
    try:
        return asyncio.run(read(stack.database_urls["payments"]))
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        fail(ExitCode.UNREACHABLE, f"cannot read the payments database: {describe(error)}")


def show(report: payments.ReconciliationReport, as_json: bool) -> None:
    """Prints the report; exit 1 when a check disagrees (`guichet finance reconcile` prints the same)."""
    typer.echo(report.as_json() if as_json else payments.reconciliation_text(report))
    if not report.ok:
        raise typer.Exit(ExitCode.REFUSED)
