"""Placeholder until its helper lands it (issue 16)."""

import typer

suspense_app = typer.Typer(help="Bank entries that matched nothing.")


@suspense_app.callback(invoke_without_command=True)
def suspense() -> None:
    """Not built yet."""
    raise NotImplementedError
