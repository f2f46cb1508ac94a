"""dead_letter_actions on real PostgreSQL: one action per dead letter, and a replay is one transaction.

The owning services call these when they apply the back-office's commands; the console only reads
`recorded_actions` (`guichet dlq list|show`)."""

from __future__ import annotations

import asyncpg
import pytest

from guichet_common import dead_letter_actions
from guichet_common.dead_letter_actions import DeadLetter, DeadLetterAlreadyHandled, DeadLetterId
from guichet_common.outbox import queued_messages

pytestmark = pytest.mark.integration

DEAD = DeadLetter(
    DeadLetterId("x.claims.submitted.v1.dlq", 0, 7),
    b"642515712",
    b'{"event_id": "e"}',
    (("dlq.reason", b"schema"), ("dlq.original.topic", b"x.claims.submitted.v1")),
)


async def outbox_rows(conn: asyncpg.Connection) -> list[dict]:
    return [
        {"topic": m.topic, "key": m.key, "value": m.value, "headers": dict(m.headers)}
        for m in await queued_messages(conn)
    ]


async def test_a_replay_records_the_action_and_queues_the_original_in_one_go(intake_pool: asyncpg.Pool) -> None:
    async with intake_pool.acquire() as conn, conn.transaction():
        await dead_letter_actions.replay_dead_letter(conn, DEAD, "alice", "fixed")
    async with intake_pool.acquire() as conn:
        rows = await outbox_rows(conn)
        actions = await dead_letter_actions.recorded_actions(conn, [DEAD.id.topic])
    replayed = [("x.claims.submitted.v1.replay", DEAD.key, DEAD.value)]
    assert [(r["topic"], r["key"], r["value"]) for r in rows] == replayed
    assert "dlq.reason" not in rows[0]["headers"]
    assert rows[0]["headers"]["replay.of"] == b"x.claims.submitted.v1.dlq:0:7"
    assert [(a.id, a.action, a.operator, a.reason) for a in actions] == [(DEAD.id, "replayed", "alice", "fixed")]


async def test_a_second_replay_or_a_discard_after_it_is_refused_and_writes_nothing(intake_pool: asyncpg.Pool) -> None:
    async with intake_pool.acquire() as conn, conn.transaction():
        await dead_letter_actions.replay_dead_letter(conn, DEAD, "alice", "fixed")
    for act in (
        lambda conn: dead_letter_actions.replay_dead_letter(conn, DEAD, "bob", "again"),
        lambda conn: dead_letter_actions.discard(conn, DEAD.id, "bob", "not needed"),
    ):
        with pytest.raises(DeadLetterAlreadyHandled, match="already replayed by alice"):
            async with intake_pool.acquire() as conn, conn.transaction():
                await act(conn)
    async with intake_pool.acquire() as conn:
        assert len(await outbox_rows(conn)) == 1


async def test_a_discard_is_recorded_and_an_operator_and_reason_are_required(intake_pool: asyncpg.Pool) -> None:
    async with intake_pool.acquire() as conn:
        with pytest.raises(ValueError):
            await dead_letter_actions.discard(conn, DEAD.id, " ", "why")
        await dead_letter_actions.discard(conn, DEAD.id, "bob", "noise")
        other_topic = await dead_letter_actions.recorded_actions(conn, ["x.registry.companies.v1.dlq"])
        (action,) = await dead_letter_actions.recorded_actions(conn, [DEAD.id.topic])
    assert other_topic == []
    assert (action.action, action.operator) == ("discarded", "bob")
