"""`guichet users add|disable|set-role|token|...` and `guichet audit verify|export`: the back-office's accounts and
audit trail from a terminal, for whoever holds the back-office's database role (an agency's administrators).

They work on BACKOFFICE_DATABASE_URL, else the local stack's back-office database (`make up`), and bring its schema
up to date first, so the first admin can be made before the back-office ever started (`make demo`). Each change is
audited under `cli:<the system user>`. Passwords and tokens are printed once, never stored in clear.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import asyncpg
import typer

from guichet_backoffice import operators as backoffice
from guichet_backoffice.operators import ROLES, AccountError, WeakPassword, accounts, audit
from guichet_common.cli import ExitCode
from guichet_common.db import TRANSIENT_DB_ERRORS

T = TypeVar("T")

users_app = typer.Typer(no_args_is_help=True, help="The back-office's accounts: add, disable, set-role, token.")
audit_app = typer.Typer(no_args_is_help=True, help="The back-office's audit trail: verify its chain, export it.")

Login = Annotated[str, typer.Argument(metavar="LOGIN", help="the account's login (lowercase, digits, . _ @ -)")]
RoleArg = Annotated[str, typer.Argument(metavar="ROLE", help=f"one of {', '.join(ROLES)}")]


def database_url() -> str:
    """BACKOFFICE_DATABASE_URL, else the local stack's back-office database."""
    if url := os.environ.get("BACKOFFICE_DATABASE_URL"):
        return url
    from guichet_deploy.infra import ensure_infra

    local: str = ensure_infra().database_urls["backoffice"]
    return local


def operator() -> str:
    return f"cli:{getpass.getuser()}"


def _run(work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    async def session() -> T:
        async with backoffice.connected(database_url()) as conn:
            return await work(conn)

    try:
        return asyncio.run(session())
    except (AccountError, WeakPassword) as refused:
        typer.echo(f"refused: {refused}", err=True)
        raise typer.Exit(ExitCode.REFUSED) from refused
    except TRANSIENT_DB_ERRORS as away:
        typer.echo(f"unavailable: the back-office's database: {type(away).__name__}", err=True)
        raise typer.Exit(ExitCode.UNREACHABLE) from away


@users_app.command("add")
def add(login: Login, role: Annotated[str, typer.Option(help=f"one of {', '.join(ROLES)}")]) -> None:
    """Create an account; prints its one-time password, which its owner replaces at first sign-in."""
    one_time = _run(lambda conn: accounts.add(conn, login.strip().lower(), role, by=operator()))
    typer.echo(f"account {login} ({role}) created; one-time password (shown once): {one_time}")


@users_app.command("disable")
def disable(
    login: Login, enable: Annotated[bool, typer.Option("--enable", help="enable the account again instead")] = False
) -> None:
    """Disable an account: its sessions and tokens stop working at once."""
    _run(lambda conn: accounts.set_disabled(conn, login, not enable, by=operator()))
    typer.echo(f"account {login} {'enabled' if enable else 'disabled'}")


@users_app.command("set-role")
def set_role(login: Login, role: RoleArg) -> None:
    """Give an account another role (one role per account)."""
    _run(lambda conn: accounts.set_role(conn, login, role, by=operator()))
    typer.echo(f"account {login} is now {role}")


@users_app.command("token")
def token(
    login: Login,
    label: Annotated[str, typer.Option(help="what the token is for, e.g. the machine it lives on")] = "console",
    revoke: Annotated[bool, typer.Option("--revoke", help="revoke every token of the account instead")] = False,
) -> None:
    """Issue a personal API token for the console (printed once: GUICHET_TOKEN), or revoke them all."""
    if revoke:
        count = _run(lambda conn: accounts.revoke_tokens(conn, login, by=operator()))
        typer.echo(f"{count} token(s) of {login} revoked")
        return
    issued = _run(lambda conn: accounts.issue_token(conn, login, label, by=operator()))
    typer.echo(issued)


@users_app.command("reset-password")
def reset_password(login: Login) -> None:
    """A new one-time password (and the lock lifted) for someone who lost theirs."""
    one_time = _run(lambda conn: accounts.reset_password(conn, login, by=operator()))
    typer.echo(f"one-time password of {login} (shown once): {one_time}")


@users_app.command("first-admin")
def first_admin_command(login: Annotated[str, typer.Option(help="the admin's login")] = accounts.FIRST_ADMIN) -> None:
    """Make the first admin when there is none (prints its one-time password); says so otherwise."""
    one_time = _run(lambda conn: accounts.ensure_first_admin(conn, login))
    typer.echo(f"admin {login}; one-time password (shown once): {one_time}" if one_time else "an admin exists already")


@users_app.command("list")
def list_users(as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False) -> None:
    """Every account, its role and state."""
    listed = _run(accounts.list_accounts)
    rows = [
        {"login": a.login, "role": a.role, "disabled": a.disabled, "locked": a.locked_until is not None} for a in listed
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        state = "disabled" if row["disabled"] else "locked" if row["locked"] else "active"
        typer.echo(f"{row['login']:<30} {row['role']:<12} {state}")


@audit_app.command("verify")
def verify() -> None:
    """Recompute the audit trail's hash chain; exit 1 and name the first altered row when it is broken."""
    check = _run(audit.verify_chain)
    if check.intact:
        typer.echo(f"audit trail intact: {check.rows} rows, last hash {check.last_hash}")
        return
    typer.echo(f"audit trail BROKEN at row {check.first_broken_id} (rows before it verify)", err=True)
    raise typer.Exit(ExitCode.REFUSED)


@audit_app.command("export")
def export(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="a CSV file (default: standard output)")] = None,
) -> None:
    """The whole audit trail as CSV, oldest first (the export itself is audited)."""

    async def lines(conn: asyncpg.Connection) -> list[str]:
        await audit.record(conn, operator(), "audit_exported", "audit_trail")
        return [audit.csv_header()] + [audit.csv_line(row) async for row in audit.all_rows(conn)]

    text = "".join(_run(lines))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"audit trail written to {output}", err=True)
