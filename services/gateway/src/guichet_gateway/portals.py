"""Operators' side of the portals (`guichet portals …`, through `guichet_gateway.operators`): add a portal and show
its key once, rotate the key, disable the portal, register its webhook URL and show the signing secret once, list.

Every function takes a connection to the gateway's own database; the caller owns the transaction."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import re
import secrets
from collections.abc import Collection
from urllib.parse import urlsplit

import asyncpg

from guichet_gateway.keys import NewKey, new_api_key
from guichet_gateway.repository import PortalRow, PostgresGateway

PORTAL_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_LOOPBACK_NAMES = {"localhost"}

__all__ = [
    "NewKey",
    "PortalError",
    "PortalRow",
    "add_portal",
    "disable_portal",
    "list_portals",
    "rotate_key",
    "set_webhook",
]


class PortalError(Exception):
    """An operator's request that cannot be done: unknown or duplicate portal, invalid name, limit or URL."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def add_portal(
    conn: asyncpg.Connection,
    name: str,
    *,
    rate_limit_per_minute: int | None = None,
    now: dt.datetime,
    kafka_portals: Collection[str] = (),
) -> NewKey:
    """A new portal with its first API key, returned once (only its digest is stored). A name that a Kafka portal
    has (GUICHET_KAFKA_PORTALS) is refused: intake accepts that name only from the Kafka portal's own topic, so
    every claim the gateway published under it would be refused SOURCE_MISMATCH."""
    if not PORTAL_NAME.match(name):
        raise PortalError(f"invalid portal name {name!r}: lowercase letters, digits and '-', 2 to 63 characters")
    if name in kafka_portals:
        raise PortalError(f"portal {name!r} publishes on Kafka (GUICHET_KAFKA_PORTALS): choose another name")
    if rate_limit_per_minute is not None and rate_limit_per_minute < 1:
        raise PortalError("the rate limit is a number of requests per minute, at least 1")
    key = new_api_key()
    if not await PostgresGateway(conn).add_portal(name, key.key_id, key.sha256, rate_limit_per_minute, now):
        raise PortalError(f"portal {name!r} exists already")
    return key


async def rotate_key(conn: asyncpg.Connection, name: str, now: dt.datetime) -> NewKey:
    """A new key for the portal, returned once; the old key stops working at the commit."""
    key = new_api_key()
    if not await PostgresGateway(conn).replace_key(name, key.key_id, key.sha256, now):
        raise PortalError(f"unknown portal {name!r}")
    return key


async def disable_portal(conn: asyncpg.Connection, name: str, now: dt.datetime) -> None:
    """The portal's requests are refused (401) from the commit on; its claims and history stay."""
    if not await PostgresGateway(conn).disable_portal(name, now):
        raise PortalError(f"unknown portal {name!r}")


async def set_webhook(
    conn: asyncpg.Connection, name: str, url: str, *, allow_http_loopback: bool, now: dt.datetime
) -> str:
    """Register (or replace) the portal's webhook URL; returns the new Standard Webhooks signing secret
    (`whsec_…`), shown once to the operator to hand to the portal. `now` is kept for the journal's sake."""
    _check_webhook_url(url, allow_http_loopback=allow_http_loopback)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    if not await PostgresGateway(conn).set_webhook(name, url, secret):
        raise PortalError(f"unknown portal {name!r}")
    return secret


async def list_portals(conn: asyncpg.Connection) -> list[PortalRow]:
    return await PostgresGateway(conn).portals()


def _check_webhook_url(url: str, *, allow_http_loopback: bool) -> None:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as error:
        raise PortalError(f"invalid webhook URL: {error}") from error
    if not host or len(url) > 2000:
        raise PortalError("invalid webhook URL: an absolute https URL with a host is needed")
    if parts.username or parts.password:
        raise PortalError("invalid webhook URL: no credentials in the URL (the signature authenticates)")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and allow_http_loopback and _is_loopback(host):
        return
    raise PortalError("the webhook URL must be https (plain http only to a loopback address, when allowed)")


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
