"""What operators did with dead letters, in the `dead_letter_actions` table every service has (common-003).

A dead letter is known by its coordinates on the `<topic>.dlq` topic (`DeadLetterId`). The service consuming the
original topic wrote it, so that service's database records what an operator did with it: once, because the
coordinates are the primary key. A replay is one transaction there: the action row and the outbox row that
republishes the record (the console builds it, `guichet_console.dead_letters.replay_message`); the owner's relay
publishes it under the owner's own grants. The SQL lives here, beside the migration, and nowhere in the console.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from guichet_common.outbox import OutboxMessage, write_outbox
from guichet_common.topics import DEAD_LETTER_SUFFIX

ACTIONS = ("replayed", "discarded")


@dataclass(frozen=True, order=True)
class DeadLetterId:
    """`<dlq topic>:<partition>:<offset>`, the topic as named on the broker."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @classmethod
    def parse(cls, text: str) -> DeadLetterId:
        parts = text.strip().rsplit(":", 2)
        if len(parts) != 3 or not parts[0].endswith(DEAD_LETTER_SUFFIX):
            raise ValueError(f"{text!r} is not a dead letter id: expected <topic>.dlq:<partition>:<offset>")
        try:
            partition, offset = int(parts[1]), int(parts[2])
        except ValueError:
            raise ValueError(f"{text!r}: partition and offset must be whole numbers") from None
        if partition < 0 or offset < 0:
            raise ValueError(f"{text!r}: partition and offset cannot be negative")
        return cls(parts[0], partition, offset)


@dataclass(frozen=True)
class DeadLetterAction:
    id: DeadLetterId
    action: str  # one of ACTIONS
    operator: str
    reason: str
    acted_at: dt.datetime


class DeadLetterAlreadyHandled(Exception):
    """The dead letter was replayed or discarded before: a second action is refused."""

    def __init__(self, previous: DeadLetterAction) -> None:
        super().__init__(
            f"{previous.id} was already {previous.action} by {previous.operator} at {previous.acted_at:%Y-%m-%d %H:%M}"
        )
        self.previous = previous


async def replay(
    conn: asyncpg.Connection, dead_letter_id: DeadLetterId, message: OutboxMessage, operator: str, reason: str
) -> OutboxMessage:
    """Record the replay and queue `message` (the record as it is to be consumed again) for the relay; call inside
    one transaction on the owner's database. Raises `DeadLetterAlreadyHandled` (nothing is then written)."""
    await _record(conn, dead_letter_id, "replayed", operator, reason)
    await write_outbox(conn, [message])
    return message


async def discard(conn: asyncpg.Connection, dead_letter_id: DeadLetterId, operator: str, reason: str) -> None:
    """Record that the dead letter is not to be replayed. Raises `DeadLetterAlreadyHandled`."""
    await _record(conn, dead_letter_id, "discarded", operator, reason)


async def _record(
    conn: asyncpg.Connection, dead_letter_id: DeadLetterId, action: str, operator: str, reason: str
) -> None:
    if not operator.strip() or not reason.strip():
        raise ValueError("an operator and a reason are required")
    inserted = await conn.fetchval(
        "INSERT INTO dead_letter_actions (dlq_topic, dlq_partition, dlq_offset, action, operator, reason)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true",
        dead_letter_id.topic,
        dead_letter_id.partition,
        dead_letter_id.offset,
        action,
        operator.strip(),
        reason.strip(),
    )
    if not inserted:
        previous = await recorded_actions(conn, [dead_letter_id.topic])
        raise DeadLetterAlreadyHandled(next(a for a in previous if a.id == dead_letter_id))


async def recorded_actions(conn: asyncpg.Connection, dlq_topics: Sequence[str]) -> list[DeadLetterAction]:
    """Every action recorded on those dead-letter topics; none when the table does not exist yet (a service
    started before common-003 creates it at its next start)."""
    if not await conn.fetchval("SELECT to_regclass('dead_letter_actions') IS NOT NULL"):
        return []
    rows = await conn.fetch(
        "SELECT dlq_topic, dlq_partition, dlq_offset, action, operator, reason, acted_at"
        " FROM dead_letter_actions WHERE dlq_topic = ANY($1::text[])"
        " ORDER BY dlq_topic, dlq_partition, dlq_offset",
        list(dlq_topics),
    )
    return [
        DeadLetterAction(
            DeadLetterId(row["dlq_topic"], row["dlq_partition"], row["dlq_offset"]),
            row["action"],
            row["operator"],
            row["reason"],
            row["acted_at"],
        )
        for row in rows
    ]
