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

from dataclasses import dataclass

import asyncpg

from guichet_common import dead_letter_actions
from guichet_common.dead_letter_actions import (
    ACTIONS,
    DeadLetterAction,
    DeadLetterAlreadyHandled,
    DeadLetterId,
    discard,
    recorded_actions,
)
from guichet_common.outbox import OutboxMessage
from guichet_common.topics import DEAD_LETTER_SUFFIX, REPLAY_SUFFIX, original_topic

__all__ = [
    "ACTIONS",
    "DeadLetter",
    "DeadLetterAction",
    "DeadLetterAlreadyHandled",
    "DeadLetterId",
    "NotReplayable",
    "discard",
    "recorded_actions",
    "replay",
    "replay_message",
]

DLQ_SUFFIX = DEAD_LETTER_SUFFIX
DLQ_HEADER_PREFIX = "dlq."
REPLAY_HEADER = "replay.of"


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
    """Record the replay and queue the original record for the relay, in one transaction on the owner's database.
    Raises `DeadLetterAlreadyHandled` or `NotReplayable` (nothing is then written)."""
    return await dead_letter_actions.replay(conn, dead.id, replay_message(dead), operator, reason)
