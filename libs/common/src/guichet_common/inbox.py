"""Inbox: the record of applied event ids that makes redelivery harmless (one row per event, same transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg


async def first_sightings(conn: asyncpg.Connection, topic: str, event_ids: Sequence[UUID]) -> set[UUID]:
    """Record `event_ids` as applied and return those never seen before (the others are duplicates).

    Must run inside the transaction that applies the events, so a rollback forgets them again.
    """
    if not event_ids:
        return set()
    rows = await conn.fetch(
        "INSERT INTO inbox (event_id, topic) SELECT unnest($1::uuid[]), $2 ON CONFLICT DO NOTHING RETURNING event_id",
        list(dict.fromkeys(event_ids)),
        topic,
    )
    return {row["event_id"] for row in rows}


async def prune_inbox(conn: asyncpg.Connection, received_before: object, *, limit: int = 10_000) -> int:
    """Forget up to `limit` event ids applied before `received_before` (a timestamp); return how many.

    An inbox only has to outlive the redeliveries it guards against: a topic's retention, or a replay of dead
    letters, which never reach that far back (settings.inbox_keep_days). No index on received_at: the insert path
    stays as cheap as before, and this runs once in a while, a bounded slice at a time."""
    result = await conn.execute(
        "DELETE FROM inbox WHERE ctid = ANY(ARRAY(SELECT ctid FROM inbox WHERE received_at < $1 LIMIT $2))",
        received_before,
        limit,
    )
    return int(result.split()[-1])
