"""The key ring, the erasures and the inbox's pruning on real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg
import pytest

from guichet_common.inbox import first_sightings, prune_inbox
from guichet_common.privacy.erasures import Erasure, PostgresErasures
from guichet_common.privacy.keyring import PostgresKeyRing

pytestmark = pytest.mark.integration
AT = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)


async def test_a_destroyed_key_stays_destroyed_whatever_is_announced_later(intake_pool: asyncpg.Pool) -> None:
    async with intake_pool.acquire() as conn:
        ring = PostgresKeyRing(conn)
        await ring.put([("CFN-1", "contact", b"w1" * 20), ("CFN-1", "bank", b"w2" * 20)], AT)
        assert await ring.destroy([("CFN-1", "bank"), ("CFN-9", "bank")], AT) == [("CFN-1", "bank"), ("CFN-9", "bank")]
        assert await ring.destroy([("CFN-1", "bank")], AT) == []  # destroyed once
        await ring.put([("CFN-1", "bank", b"w2" * 20), ("CFN-1", "contact", None)], AT + dt.timedelta(hours=1))
        states = await ring.get([("CFN-1", "contact"), ("CFN-1", "bank"), ("CFN-2", "bank")])
        assert set(states) == {("CFN-1", "contact"), ("CFN-1", "bank")}
        assert states[("CFN-1", "bank")].wrapped is None and states[("CFN-1", "bank")].destroyed_at == AT
        assert states[("CFN-1", "contact")].wrapped is None  # destroyed by the announcement with a null key
        # No key material is left in the table for a destroyed key.
        assert await conn.fetchval("SELECT count(*) FROM privacy_keys WHERE wrapped_key IS NOT NULL") == 0


async def test_an_erasure_is_recorded_once(intake_pool: asyncpg.Pool) -> None:
    async with intake_pool.acquire() as conn:
        erasures = PostgresErasures(conn)
        first = Erasure("CFN-1", "contact", AT, "retention")
        assert await erasures.record([first, Erasure("CFN-1", "bank", AT, "request", uuid.uuid4())]) != []
        assert await erasures.record([first]) == []
        found = await erasures.of(["CFN-1", "CFN-2"])
        assert set(found) == {("CFN-1", "contact"), ("CFN-1", "bank")} and found[("CFN-1", "bank")].reason == "request"


async def test_the_inbox_forgets_only_what_is_older_than_its_window(intake_pool: asyncpg.Pool) -> None:
    async with intake_pool.acquire() as conn:
        old, recent = uuid.uuid4(), uuid.uuid4()
        await first_sightings(conn, "t", [old, recent])
        await conn.execute("UPDATE inbox SET received_at = $1 WHERE event_id = $2", AT - dt.timedelta(days=40), old)
        await conn.execute("UPDATE inbox SET received_at = $1 WHERE event_id = $2", AT, recent)
        assert await prune_inbox(conn, AT - dt.timedelta(days=30)) == 1
        assert await first_sightings(conn, "t", [old, recent]) == {old}  # the pruned one would be news again
