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
