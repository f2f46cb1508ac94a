"""What every command shares: the `--json` option, and one way to run an operation and turn its failure into a
message on stderr and a documented exit code (`guichet_common.cli.ExitCode`) instead of a traceback."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Annotated, Any, NoReturn, TypeVar

import asyncpg
import typer
from aiokafka.errors import KafkaError

from guichet_common.cli import ExitCode
from guichet_common.logging import mask_text
from guichet_common.safe_text import printable

T = TypeVar("T")

Json = Annotated[bool, typer.Option("--json", help="machine-readable output")]

# A database or broker that cannot be reached or entered, or fails mid-way: the operation may succeed later.
UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    KafkaError,
)


def fail(code: ExitCode, message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def run(job: Coroutine[Any, Any, T], *, refusals: tuple[type[BaseException], ...] = ()) -> T:
    """Runs one operation. `refusals` (and ValueError) mean nothing was done: "refused: ..." and exit code 1;
    an unreachable database or broker: "unavailable: ..." and exit code 3."""
    try:
        return asyncio.run(job)
    except (*refusals, ValueError) as refused:
        fail(ExitCode.REFUSED, f"refused: {printable(str(refused), 300)}")
    except asyncpg.UndefinedTableError:
        # The owner started before the migration that creates the table; it creates it at its next start.
        fail(ExitCode.REFUSED, "refused: the owning service's database lacks a table this needs yet: restart it")
    except UNREACHABLE as error:
        fail(ExitCode.UNREACHABLE, f"unavailable: {describe(error)}")


def describe(error: BaseException) -> str:
    """A short reason for an unreachable part; masked, since a driver's message may quote a value."""
    name, text = type(error).__name__, str(error).strip()
    return mask_text(text if text.startswith(name) else f"{name}: {text}" if text else name)[:200]
