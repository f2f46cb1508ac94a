"""`guichet portals add|rotate-key|disable|list|webhook|deliveries|redeliver`: the portals that post claims to the
gateway over HTTP, their API keys and status webhooks, and the webhooks' delivery journal.

The commands work on the gateway's database (GATEWAY_DATABASE_URL, else the local stack's), for whoever holds its
role, through `guichet_gateway.operators` only. An API key (`add`, `rotate-key`) and a webhook's signing secret
(`webhook`) are printed once, on stdout, and never again: the gateway keeps the key's SHA-256 only, and nothing here
logs either. `redeliver` is a person's decision: a failed delivery is a set-aside item of the gateway (kind
`webhook_delivery`), released through the back-office's API with a personal token, as `guichet set-aside release`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import json
import os
from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any

import asyncpg
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from guichet_common.db import create_pool
from guichet_common.safe_text import printable
from guichet_console.backoffice_api import Backoffice, Token, segment
from guichet_console.connect import current_stack
from guichet_console.decisions import print_decision
from guichet_console.operations import Json, run
from guichet_gateway import operators as gateway

SERVICE, KIND = "gateway", "webhook_delivery"  # where a failed delivery is set aside, and as what
LOOPBACK_SETTING = "GATEWAY_WEBHOOK_ALLOW_HTTP_LOOPBACK"  # the gateway's own setting: both judge a URL alike

app = typer.Typer(
    no_args_is_help=True,
    help="The gateway's portals: add, rotate-key, disable, list, webhook, deliveries, redeliver.",
)
Name = Annotated[str, typer.Argument(metavar="NAME", help="the portal's name (lowercase letters, digits, -)")]
Reason = Annotated[str, typer.Option(help="why, in words (recorded)")]


class DeliveryState(enum.StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


@contextlib.asynccontextmanager
async def gateway_database(url: str) -> AsyncIterator[asyncpg.Connection]:
    """One connection to the gateway's database, in one transaction: a change is written whole or not at all."""
    pool = await create_pool(url, size=1, connect_timeout_s=10)
    try:
        async with pool.acquire() as conn, conn.transaction():
            yield conn
    finally:
        await pool.close()


def _kafka_portals() -> tuple[str, ...]:
    """The deployment's Kafka portals (GUICHET_KAFKA_PORTALS), whose names an HTTP portal may not take."""
    from guichet_common.settings import CommonSettings

    return tuple(CommonSettings().kafka_portals)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _gateway(work: Any) -> Any:
    """Runs `work(conn)` on the gateway's database: PortalError is "refused: ..." and exit code 1, an unreachable
    database "unavailable: ..." and exit code 3; never a traceback."""
    url = current_stack(databases=(SERVICE,)).database_urls[SERVICE]  # missing: a usage error, before anything

    async def session() -> Any:
        async with gateway_database(url) as conn:
            return await work(conn)

    return run(session(), refusals=(gateway.PortalError,))


def _print_once(as_json: bool, document: dict[str, str], words: str) -> None:
    typer.echo(json.dumps(document) if as_json else words)


@app.command()
def add(
    name: Name,
    rate_limit: Annotated[
        int | None, typer.Option("--rate-limit", min=1, help="requests per minute (default: the gateway's)")
    ] = None,
    as_json: Json = False,
) -> None:
    """Add a portal; prints its API key once (`--json`: {"portal": ..., "api_key": ...})."""
    new = _gateway(
        lambda conn: gateway.add_portal(
            conn, name, rate_limit_per_minute=rate_limit, now=_now(), kafka_portals=_kafka_portals()
        )
    )
    key = new.api_key
    _print_once(as_json, {"portal": name, "api_key": key}, f"portal {name} added; API key (shown once): {key}")


@app.command("rotate-key")
def rotate_key(name: Name, as_json: Json = False) -> None:
    """A new API key for the portal, printed once; the old one stops working at once."""
    key = _gateway(lambda conn: gateway.rotate_key(conn, name, now=_now())).api_key
    _print_once(as_json, {"portal": name, "api_key": key}, f"portal {name}: new API key (shown once): {key}")


@app.command()
def disable(name: Name) -> None:
    """Disable the portal: its key is refused (401) from now on; its claims and statuses are kept."""
    _gateway(lambda conn: gateway.disable_portal(conn, name, now=_now()))
    typer.echo(f"portal {name} disabled")


@app.command()
def webhook(
    name: Name,
    url: Annotated[str, typer.Argument(metavar="URL", help="https://... where the portal's statuses are POSTed")],
    as_json: Json = False,
) -> None:
    """Register the portal's webhook URL (https); prints the new signing secret once."""
    allow = os.environ.get(LOOPBACK_SETTING, "").strip().lower() in {"1", "true", "yes", "on"}
    secret = _gateway(lambda conn: gateway.set_webhook(conn, name, url, allow_http_loopback=allow, now=_now()))
    _print_once(
        as_json,
        {"portal": name, "webhook_url": url, "webhook_secret": secret},
        f"portal {name}: webhook {printable(url, 300)}; signing secret (shown once): {secret}",
    )


@app.command("list")
def list_(as_json: Json = False) -> None:
    """Every portal, its state, rate limit and webhook URL (never a key nor a secret)."""
    rows = [plain(row) for row in _gateway(gateway.list_portals)]
    if as_json:
        typer.echo(json.dumps({"portals": rows}, indent=2))
        return
    table = Table(title=f"{len(rows)} portal(s)", title_justify="left")
    for column in ("portal", "state", "rate limit/min", "webhook", "created", "key rotated"):
        table.add_column(column, overflow="fold")
    for row in rows:
        state = "disabled" if row.get("disabled_at") else "active"
        limit = str(row.get("rate_limit_per_minute") or "default")
        table.add_row(
            *(Text(value) for value in (row.get("name", ""), state, limit, row.get("webhook_url") or "")),
            *(Text((row.get(key) or "")[:16].replace("T", " ")) for key in ("created_at", "key_rotated_at")),
        )
    Console().print(table)


@app.command()
def deliveries(
    name: Name,
    state: Annotated[DeliveryState | None, typer.Option(help="only deliveries in this state")] = None,
    limit: Annotated[int, typer.Option(min=1, help="at most this many, newest first")] = 100,
    as_json: Json = False,
) -> None:
    """The portal's webhook journal: each delivery, its state and every attempt (answer or error)."""

    async def journal(conn: asyncpg.Connection) -> list[dict[str, Any]]:
        if name not in {plain(row).get("name") for row in await gateway.list_portals(conn)}:
            raise gateway.PortalError(f"no portal named {printable(name, 64)!r}")
        found = await gateway.deliveries(conn, name, state=state.value if state else None, limit=limit)
        listed = [plain(one) for one in found]
        for one in listed:
            one["journal"] = [plain(attempt) for attempt in await gateway.attempts(conn, one["delivery_id"])]
        return listed

    listed = _gateway(journal)
    if as_json:
        typer.echo(json.dumps({"portal": name, "deliveries": listed}, indent=2))
        return
    table = Table(title=f"{len(listed)} deliver{'y' if len(listed) == 1 else 'ies'} of {name}", title_justify="left")
    for column in ("delivery", "claim", "status", "state", "attempts", "created", "last answer"):
        table.add_column(column, overflow="fold")
    for one in listed:
        last = one["journal"][-1] if one["journal"] else {}
        answer = str(last.get("http_status") or "") or str(last.get("error") or "")
        table.add_row(
            *(Text(str(one.get(key, ""))) for key in ("delivery_id", "claim_id", "status", "state")),
            Text(str(len(one["journal"]))),
            Text(str(one.get("created_at", ""))[:19].replace("T", " ")),
            Text(printable(answer, 120)),
        )
    Console().print(table)


@app.command()
def redeliver(
    delivery_id: Annotated[int, typer.Argument(metavar="DELIVERY_ID", help="as `portals deliveries` shows it")],
    reason: Reason,
    token: Token = None,
    as_json: Json = False,
) -> None:
    """Send a failed delivery again (a new attempt now, journaled with who): through the back-office, as
    `guichet set-aside release webhook_delivery DELIVERY_ID`."""
    path = f"set-aside/{SERVICE}/{KIND}/{segment(str(delivery_id))}/release"
    print_decision(Backoffice.from_environment(token).post(path, {"reason": reason}), as_json)


# --- what is shown ------------------------------------------------------------------------------------------------

SECRET_FIELDS = frozenset({"key_sha256", "key_id", "api_key", "webhook_secret", "secret"})


def plain(row: Any) -> dict[str, Any]:
    """A row of the gateway's (a dataclass, a Record or a mapping) as JSON values; text from outside made printable."""
    fields = dataclasses.asdict(row) if dataclasses.is_dataclass(row) else dict(row)
    return {key: _value(value) for key, value in fields.items() if key not in SECRET_FIELDS}


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return printable(value, 500)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _value(v) for k, v in value.items()}
    return printable(str(value), 500)  # a UUID, an enum...
