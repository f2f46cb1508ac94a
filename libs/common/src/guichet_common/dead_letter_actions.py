"""What operators did with dead letters, in the `dead_letter_actions` table every service has (common-003).

A dead letter is known by its coordinates on the `<topic>.dlq` topic (`DeadLetterId`). The service consuming the
original topic wrote it, so that service's database records what an operator did with it: once, because the
coordinates are the primary key. A replay is one transaction there: the action row and the outbox row that
republishes the record (`replay_message`, built from the dead letter as read from the broker); the owner's relay
publishes it under the owner's own grants. The SQL lives here, beside the migration, and nowhere in the console.

The original `event_id` travels unchanged in a replay, so the consumers' inbox ignores a replay of an event they
had already applied. Who acts: an operator at the console, or the back-office's command applied by the owner
(`guichet_common.operator_commands`), which names a second person for a replay (`seconded_by`, four eyes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from guichet_common.outbox import OutboxMessage, write_outbox
from guichet_common.topics import DEAD_LETTER_SUFFIX, REPLAY_SUFFIX, original_topic

ACTIONS = ("replayed", "discarded")
DLQ_HEADER_PREFIX = "dlq."
REPLAY_HEADER = "replay.of"


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
        return self.header("dlq.original.topic") or self.id.topic.removesuffix(DEAD_LETTER_SUFFIX)

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
    conn: asyncpg.Connection,
    dead_letter_id: DeadLetterId,
    message: OutboxMessage,
    operator: str,
    reason: str,
    *,
    seconded_by: str | None = None,
) -> OutboxMessage:
    """Record the replay and queue `message` (the record as it is to be consumed again) for the relay; call inside
    one transaction on the owner's database. Raises `DeadLetterAlreadyHandled` (nothing is then written)."""
    await _record(conn, dead_letter_id, "replayed", operator, reason, seconded_by)
    await write_outbox(conn, [message])
    return message


async def replay_dead_letter(
    conn: asyncpg.Connection, dead: DeadLetter, operator: str, reason: str, *, seconded_by: str | None = None
) -> OutboxMessage:
    """`replay` of a dead letter as read from the broker. Raises `DeadLetterAlreadyHandled` or `NotReplayable`."""
    return await replay(conn, dead.id, replay_message(dead), operator, reason, seconded_by=seconded_by)


async def discard(
    conn: asyncpg.Connection,
    dead_letter_id: DeadLetterId,
    operator: str,
    reason: str,
    *,
    seconded_by: str | None = None,
) -> None:
    """Record that the dead letter is not to be replayed. Raises `DeadLetterAlreadyHandled`."""
    await _record(conn, dead_letter_id, "discarded", operator, reason, seconded_by)


async def _record(
    conn: asyncpg.Connection,
    dead_letter_id: DeadLetterId,
    action: str,
    operator: str,
    reason: str,
    seconded_by: str | None,
) -> None:
    if not operator.strip() or not reason.strip():
        raise ValueError("an operator and a reason are required")
    second = seconded_by.strip() if seconded_by else None
    if second is not None and second == operator.strip():
        raise ValueError("the second person must not be the operator")
    inserted = await conn.fetchval(
        "INSERT INTO dead_letter_actions (dlq_topic, dlq_partition, dlq_offset, action, operator, reason, seconded_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING true",
        dead_letter_id.topic,
        dead_letter_id.partition,
        dead_letter_id.offset,
        action,
        operator.strip(),
        reason.strip(),
        second,
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
