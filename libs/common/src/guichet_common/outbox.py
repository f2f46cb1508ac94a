"""Outbox writer: events to publish are rows written in the same transaction as the change they announce."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import asyncpg
import orjson
from pydantic import BaseModel

OUTBOX_CHANNEL = "outbox"


@dataclass(frozen=True)
class OutboxMessage:
    topic: str
    key: bytes | None
    value: bytes
    headers: Sequence[tuple[str, bytes]] = field(default_factory=tuple)

    @classmethod
    def of_event(cls, topic: str, key: str, event: BaseModel) -> OutboxMessage:
        """A contract event serialised as compact UTF-8 JSON, keyed as its contract says."""
        return cls(topic=topic, key=key.encode(), value=event.model_dump_json(exclude_none=True).encode())


async def write_outbox(conn: asyncpg.Connection, messages: Iterable[OutboxMessage]) -> int:
    """Queue messages for the relay; call inside the transaction that makes the change they announce."""
    rows = list(messages)
    if not rows:
        return 0
    # One statement for the batch (unnest), not one execution per row: the outbox takes several rows per claim.
    await conn.execute(
        "INSERT INTO outbox (topic, key, value, headers) SELECT topic, key, value, headers::jsonb"
        " FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::text[]) WITH ORDINALITY"
        "      AS message (topic, key, value, headers, position)"
        " ORDER BY position",  # ids in list order: the relay publishes in id order
        [m.topic for m in rows],
        [m.key for m in rows],
        [m.value for m in rows],
        # As JSON text: a list of [name, value] pairs would read as more array dimensions.
        [orjson.dumps([[k, v.decode("utf-8", "replace")] for k, v in m.headers]).decode() for m in rows],
    )
    # Delivered on commit only, so the relay wakes when the rows are visible.
    await conn.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)
    return len(rows)


async def backlog(conn: asyncpg.Connection) -> int:
    """Rows written and not yet published (the relay deletes what it published)."""
    return await conn.fetchval("SELECT count(*) FROM outbox")
