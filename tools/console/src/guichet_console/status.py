"""`guichet status [--watch [--interval S]] [--json]`: the whole pipeline on one screen.

The JSON keys are documented in `guichet_console.status_model`. With --watch and --json, one JSON object per line
at each refresh.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live

from guichet_console.connect import Stack, current_stack
from guichet_console.operations import Json
from guichet_console.status_collect import collect
from guichet_console.status_model import as_json
from guichet_console.status_render import console, render


def register(app: typer.Typer) -> None:
    app.command("status")(status)


def status(
    watch: Annotated[bool, typer.Option("--watch", help="refresh until interrupted (Ctrl-C)")] = False,
    interval: Annotated[float, typer.Option(min=0.5, help="seconds between refreshes with --watch")] = 2.0,
    as_json_: Json = False,
) -> None:
    """The whole pipeline: claims per stage, consumer lag, dead letters, outboxes, budgets, e-mails in doubt."""
    stack = current_stack()
    try:
        asyncio.run(_watch(stack, interval, as_json_) if watch else _once(stack, as_json_))
    except KeyboardInterrupt:
        pass


async def _once(stack: Stack, as_json_: bool) -> None:
    figures = await collect(stack)
    if as_json_:
        typer.echo(json.dumps(as_json(figures), indent=2))
    else:
        console().print(render(figures))


async def _watch(stack: Stack, interval: float, as_json_: bool) -> None:
    if as_json_:
        while True:  # one object per line: a consumer reads it line by line
            typer.echo(json.dumps(as_json(await collect(stack))), nl=True)
            await asyncio.sleep(interval)
    else:
        with Live(render(await collect(stack)), console=console(), auto_refresh=False) as live:
            while True:
                await asyncio.sleep(interval)
                live.update(render(await collect(stack)), refresh=True)


async def print_status(stack: Stack, output: Console | None = None) -> None:
    """The status screen, once (the demo prints it at its end)."""
    (output or console()).print(render(await collect(stack)))
