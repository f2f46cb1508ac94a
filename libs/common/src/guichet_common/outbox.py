"""Outbox writer: events to publish are rows written in the same transaction as the change they announce.

Keys, values and headers are stored as bytes (common-005): a record's headers are whatever a producer sent, NUL
bytes and invalid UTF-8 included, and the dead letter of a hostile record must be storable byte for byte.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import asyncpg
from pydantic import BaseModel

OUTBOX_CHANNEL = "outbox"
Headers = Sequence[tuple[str, bytes | None]]  # Kafka header values are nullable
_LENGTH = struct.Struct(">i")
_NULL = -1


class MalformedHeaders(ValueError):
    """Stored header bytes that `encode_headers` did not write."""


@dataclass(frozen=True)
class OutboxMessage:
    topic: str
    key: bytes | None
    value: bytes
    headers: Headers = field(default_factory=tuple)

    @classmethod
    def of_event(cls, topic: str, key: str, event: BaseModel) -> OutboxMessage:
        """A contract event serialised as compact UTF-8 JSON, keyed as its contract says."""
        return cls(topic=topic, key=key.encode(), value=event.model_dump_json(exclude_none=True).encode())


def encode_headers(headers: Headers) -> bytes:
    """Headers as one byte string that PostgreSQL stores whatever they hold (see common-005 for the layout)."""
    parts: list[bytes] = []
    for name, value in headers:
        # surrogatepass: a str name always encodes; one the producer cannot send is then refused by the relay
        # for that row alone, instead of failing the transaction that writes it.
        encoded = name.encode("utf-8", "surrogatepass")
        parts += (_LENGTH.pack(len(encoded)), encoded)
        parts += (_LENGTH.pack(_NULL),) if value is None else (_LENGTH.pack(len(value)), bytes(value))
    return b"".join(parts)


def decode_headers(raw: bytes) -> tuple[tuple[str, bytes | None], ...]:
    """The headers `encode_headers` stored, byte for byte."""
    headers: list[tuple[str, bytes | None]] = []
    position = 0

    def take(length: int) -> bytes:
        nonlocal position
        if length < 0 or position + length > len(raw):
            raise MalformedHeaders(f"header bytes end early at byte {position}")
        chunk = raw[position : position + length]
        position += length
        return chunk

    while position < len(raw):
        name = take(_LENGTH.unpack(take(4))[0]).decode("utf-8", "surrogatepass")
        value_length = _LENGTH.unpack(take(4))[0]
        headers.append((name, None if value_length == _NULL else take(value_length)))
    return tuple(headers)


async def write_outbox(conn: asyncpg.Connection, messages: Iterable[OutboxMessage]) -> int:
    """Queue messages for the relay; call inside the transaction that makes the change they announce."""
    rows = list(messages)
    if not rows:
        return 0
    # One statement for the batch (unnest), not one execution per row: the outbox takes several rows per claim.
    await conn.execute(
        "INSERT INTO outbox (topic, key, value, headers) SELECT topic, key, value, headers"
        " FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::bytea[]) WITH ORDINALITY"
        "      AS message (topic, key, value, headers, position)"
        " ORDER BY position",  # ids in list order: the relay publishes in id order
        [m.topic for m in rows],
        [m.key for m in rows],
        [m.value for m in rows],
        [encode_headers(m.headers) for m in rows],
    )
    # Delivered on commit only, so the relay wakes when the rows are visible.
    await conn.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)
    return len(rows)


async def queued_messages(conn: asyncpg.Connection, topic: str | None = None) -> list[OutboxMessage]:
    """Rows not published yet (held ones included), in id order, as written: for tests and operators."""
    rows = await conn.fetch(
        "SELECT topic, key, value, headers FROM outbox WHERE $1::text IS NULL OR topic = $1 ORDER BY id", topic
    )
    return [OutboxMessage(r["topic"], r["key"], r["value"], decode_headers(r["headers"])) for r in rows]


async def backlog(conn: asyncpg.Connection) -> int:
    """Rows waiting for the relay (it deletes what it published); held rows are counted as set aside instead."""
    count: int = await conn.fetchval("SELECT count(*) FROM outbox WHERE NOT held")
    return count
