"""Dead letters an operator replays or discards, recorded in the database of the service that owns them.

A dead letter is known by its coordinates on the `<topic>.dlq` topic (`DeadLetterId`). The service consuming the
original topic (`topics.owner_of`) wrote it, so that service's database records what an operator did with it:
once, because the coordinates are the primary key of `dead_letter_actions` (common-003).

A replay is one transaction on the owner's database: the action row and an outbox row that republishes the
original key, value and headers (minus `dlq.*`, plus `replay.of`) to the original topic's replay topic
(`<topic>.replay`, see topics.TopicSpec.replay). The owner's relay publishes it there, which its grants allow
(the original topic is its producers', and the owner may only read it), and the owner consumes it with the
original topic's handler. The original `event_id` travels unchanged, so the consumers' inbox ignores a replay of
an event they had already applied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from guichet_common.outbox import OutboxMessage, write_outbox
from guichet_common.topics import DEAD_LETTER_SUFFIX, REPLAY_SUFFIX, original_topic

DLQ_SUFFIX = DEAD_LETTER_SUFFIX
DLQ_HEADER_PREFIX = "dlq."
REPLAY_HEADER = "replay.of"
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
        if len(parts) != 3 or not parts[0].endswith(DLQ_SUFFIX):
            raise ValueError(f"{text!r} is not a dead letter id: expected <topic>.dlq:<partition>:<offset>")
        try:
            partition, offset = int(parts[1]), int(parts[2])
        except ValueError:
            raise ValueError(f"{text!r}: partition and offset must be whole numbers") from None
        if partition < 0 or offset < 0:
            raise ValueError(f"{text!r}: partition and offset cannot be negative")
        return cls(parts[0], partition, offset)


@dataclass(frozen=True)
class DeadLetter:
    """A record read from a `.dlq` topic, as `records.dead_letter` wrote it."""

    id: DeadLetterId
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()  # Kafka header values are nullable
    timestamp_ms: int = 0

    def header(self, name: str) -> str | None:
        # The last one: ours come after the original record's, which may carry forged `dlq.*` names.
        found = [value for key, value in self.headers if key == name]
        return (found[-1] or b"").decode("utf-8", "replace") if found else None

    @property
    def reason(self) -> str:
        return self.header("dlq.reason") or ""

    @property
    def original_topic(self) -> str:
        return self.header("dlq.original.topic") or self.id.topic.removesuffix(DLQ_SUFFIX)

    @property
    def original_coordinates(self) -> str:
        partition, offset = self.header("dlq.original.partition"), self.header("dlq.original.offset")
        return f"{self.original_topic}:{partition or '?'}:{offset or '?'}"

    @property
    def attempts(self) -> int | None:
        attempts = self.header("dlq.attempts")
        return int(attempts) if attempts and attempts.isdigit() else None

    @property
    def truncated(self) -> bool:
        return self.header("dlq.truncated.from.bytes") is not None


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


class NotReplayable(Exception):
    """The dead letter cannot be published again as it was received."""


def replay_message(dead: DeadLetter) -> OutboxMessage:
    """The original record, bound for its original topic's replay topic, with a header naming the dead letter it
    replays."""
    if dead.truncated:
        raise NotReplayable(f"{dead.id} holds a truncated value (it was too large): replaying it would change it")
    if dead.value is None:
        raise NotReplayable(f"{dead.id} has no value to replay")
    headers = tuple((k, v) for k, v in dead.headers if not k.startswith(DLQ_HEADER_PREFIX) and k != REPLAY_HEADER)
    return OutboxMessage(
        topic=original_topic(dead.original_topic) + REPLAY_SUFFIX,
        key=dead.key,
        value=dead.value,
        headers=(*headers, (REPLAY_HEADER, str(dead.id).encode())),
    )


async def replay(conn: asyncpg.Connection, dead: DeadLetter, operator: str, reason: str) -> OutboxMessage:
    """Record the replay and queue the original record for the relay; call inside one transaction on the owner's
    database. Raises `DeadLetterAlreadyHandled` or `NotReplayable` (nothing is then written)."""
    message = replay_message(dead)
    await _record(conn, dead.id, "replayed", operator, reason)
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
