"""Dead letters, and what operators did with them, recorded in the database of the service that owns them.

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

import asyncpg

from guichet_common import dead_letter_actions
from guichet_common.dead_letter_actions import (
    ACTIONS,
    DLQ_HEADER_PREFIX,
    REPLAY_HEADER,
    DeadLetter,
    DeadLetterAction,
    DeadLetterAlreadyHandled,
    DeadLetterId,
    NotReplayable,
    recorded_actions,
)
from guichet_common.outbox import OutboxMessage
from guichet_common.topics import DEAD_LETTER_SUFFIX

__all__ = [
    "ACTIONS",
    "DLQ_HEADER_PREFIX",
    "REPLAY_HEADER",
    "DeadLetter",
    "DeadLetterAction",
    "DeadLetterAlreadyHandled",
    "DeadLetterId",
    "NotReplayable",
    "recorded_actions",
    "replay",
]

DLQ_SUFFIX = DEAD_LETTER_SUFFIX


async def replay(conn: asyncpg.Connection, dead: DeadLetter, operator: str, reason: str) -> OutboxMessage:
    """Record the replay and queue the original record for the relay, in one transaction on the owner's database.

    Only tests/security/test_kafka_acls.py still calls this, to prove a replay under the owner's grants: it goes once
    that test calls guichet_common.dead_letter_actions.replay_dead_letter itself."""
    return await dead_letter_actions.replay_dead_letter(conn, dead, operator, reason)
