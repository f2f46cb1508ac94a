"""Operators' portal functions on the gateway's real database: a key shown once and stored as its digest only,
names and webhook URLs checked, unknown and duplicate portals refused with why."""

from __future__ import annotations

import datetime as dt

import asyncpg
import pytest

from guichet_gateway import portals
from guichet_gateway.keys import key_digest

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 12, 3, 14, 0, tzinfo=dt.UTC)


async def test_a_portal_is_added_listed_rotated_and_disabled(gateway_pool: asyncpg.Pool) -> None:
    async with gateway_pool.acquire() as conn:
        first = await portals.add_portal(conn, "alpha", rate_limit_per_minute=30, now=NOW)
        second = await portals.rotate_key(conn, "alpha", NOW + dt.timedelta(hours=1))
        await portals.disable_portal(conn, "alpha", NOW + dt.timedelta(hours=2))
        [row] = await portals.list_portals(conn)
        stored = await conn.fetchrow("SELECT key_id, key_sha256 FROM portals WHERE name = 'alpha'")

    assert first.api_key != second.api_key
    assert (stored["key_id"], bytes(stored["key_sha256"])) == (second.key_id, key_digest(second.api_key))
    assert (row.name, row.rate_limit_per_minute, row.key_rotated_at, row.disabled_at) == (
        "alpha",
        30,
        NOW + dt.timedelta(hours=1),
        NOW + dt.timedelta(hours=2),
    )
    assert second.api_key not in repr(row) and second.api_key not in repr(second)


async def test_a_webhook_url_is_https_or_loopback_http_when_allowed(gateway_pool: asyncpg.Pool) -> None:
    async with gateway_pool.acquire() as conn:
        await portals.add_portal(conn, "alpha", now=NOW)
        secret = await portals.set_webhook(conn, "alpha", "https://portal.example/hooks", allow_http_loopback=False,
                                           now=NOW)  # fmt: skip
        loopback = await portals.set_webhook(conn, "alpha", "http://127.0.0.1:9/h", allow_http_loopback=True, now=NOW)
        for url, allowed in [
            ("http://127.0.0.1:9/h", False),
            ("http://portal.example/h", True),
            ("https://user:pw@portal.example/h", False),
            ("https:///nohost", False),
            ("https://portal.example:port/h", False),
            ("ftp://portal.example/h", False),
        ]:
            with pytest.raises(portals.PortalError):
                await portals.set_webhook(conn, "alpha", url, allow_http_loopback=allowed, now=NOW)
        [row] = await portals.list_portals(conn)

    assert secret.startswith("whsec_") and loopback.startswith("whsec_") and secret != loopback
    assert row.webhook_url == "http://127.0.0.1:9/h"


async def test_unknown_duplicate_or_badly_named_portals_are_refused(gateway_pool: asyncpg.Pool) -> None:
    async with gateway_pool.acquire() as conn:
        await portals.add_portal(conn, "alpha", now=NOW)
        refusals = [
            portals.add_portal(conn, "alpha", now=NOW),
            portals.add_portal(conn, "Alpha", now=NOW),
            portals.add_portal(conn, "a", now=NOW),
            portals.add_portal(conn, "beta", rate_limit_per_minute=0, now=NOW),
            portals.rotate_key(conn, "ghost", NOW),
            portals.disable_portal(conn, "ghost", NOW),
            portals.set_webhook(conn, "ghost", "https://x.example/", allow_http_loopback=False, now=NOW),
        ]
        for refused in refusals:
            with pytest.raises(portals.PortalError):
                await refused
        assert [row.name for row in await portals.list_portals(conn)] == ["alpha"]


async def test_a_kafka_portals_name_is_refused_over_http(gateway_pool: asyncpg.Pool) -> None:
    # intake accepts a Kafka portal's name only from that portal's own topic: an HTTP portal under it would have
    # every claim refused SOURCE_MISMATCH.
    async with gateway_pool.acquire() as conn:
        with pytest.raises(portals.PortalError, match="Kafka"):
            await portals.add_portal(conn, "cci-paris", now=NOW, kafka_portals=("cci-paris",))
        await portals.add_portal(conn, "cci-lyon", now=NOW, kafka_portals=("cci-paris",))
        assert [row.name for row in await portals.list_portals(conn)] == ["cci-lyon"]
