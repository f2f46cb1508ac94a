"""The back-office's commands applied by an owning service on real PostgreSQL and a real broker: a dead letter read
back from its `.dlq` topic and replayed or discarded, a stuck outbox row released or cancelled, each recorded with who
asked, who seconded and why, announced, and answered once even when the command comes twice."""

from __future__ import annotations

import datetime as dt
import types
import uuid
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from guichet_common.contracts.backoffice import CommandOutcomeV1, OperatorCommandV1, SetAsideV1
from guichet_common.dead_letter_actions import recorded_actions
from guichet_common.operator_command_targets import operator_commands_for
from guichet_common.outbox import OutboxMessage, queued_messages, write_outbox
from guichet_common.outbox_set_aside import hold_outbox_row
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.set_aside import held_items
from guichet_common.settings import CommonSettings
from guichet_common.unit_of_work import PostgresUnitOfWork, announcing, open_unit_of_work

pytestmark = pytest.mark.integration
NO_KINDS_OF_ITS_OWN = types.ModuleType("operators")  # intake decides outbox rows only, like every service
NO_KINDS_OF_ITS_OWN.SET_ASIDE_KINDS = ()  # type: ignore[attr-defined]


def command(**fields: Any) -> OperatorCommandV1:
    values: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "occurred_at": dt.datetime.now(dt.UTC),
        "service": "intake",
        "requested_by": "alice",
        "reason": "the portal fixed its schema",
    }
    return OperatorCommandV1.model_validate(values | fields, strict=False)


async def apply(pool: asyncpg.Pool, prefix: str, bootstrap: str, *sent: OperatorCommandV1) -> None:
    settings = CommonSettings(KAFKA_BOOTSTRAP_SERVERS=bootstrap, GUICHET_TOPIC_PREFIX=prefix)
    commands = operator_commands_for("intake", settings, NO_KINDS_OF_ITS_OWN)
    subscription = Subscription(use_case=commands.apply, decode=contract(OperatorCommandV1))
    records = [
        InboundRecord(f"{prefix}backoffice.intake-commands.v1", 0, n, None, c.model_dump_json().encode())
        for n, c in enumerate(sent)
    ]
    async with open_unit_of_work(pool, announcing(PostgresUnitOfWork, "intake", prefix)) as uow:
        await subscription.apply(uow, records)


async def outcomes(pool: asyncpg.Pool, prefix: str) -> list[CommandOutcomeV1]:
    async with pool.acquire() as conn:
        queued = await queued_messages(conn, prefix + "operations.command-outcomes.v1")
    return [CommandOutcomeV1.model_validate_json(m.value) for m in queued]


async def dead_letter_on_the_broker(bootstrap: str, prefix: str) -> str:
    """A record intake dead-lettered, as `records.dead_letter` writes it; its id as the back-office names it."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sent = await producer.send_and_wait(
            f"{prefix}claims.submitted.v1.dlq",
            key=b"642515712",
            value=b'{"event_id": "4f6a3c52-8f0e-4a0c-9d55-1b8e2f7d9c10"}',
            headers=[
                ("trace", b"t-1"),
                ("dlq.reason", b"schema: claim missing"),
                ("dlq.original.topic", f"{prefix}claims.submitted.v1".encode()),
            ],
        )
    finally:
        await producer.stop()
    return f"{sent.topic}:{sent.partition}:{sent.offset}"


async def test_a_seconded_replay_is_read_from_the_broker_recorded_and_queued_once(
    intake_pool: asyncpg.Pool, topic_prefix: str, kafka_bootstrap: str
) -> None:
    target = await dead_letter_on_the_broker(kafka_bootstrap, topic_prefix)
    replay = command(action="dead_letter_replay", target=target, seconded_by="bob")
    await apply(intake_pool, topic_prefix, kafka_bootstrap, replay, replay)  # twice in one batch
    await apply(intake_pool, topic_prefix, kafka_bootstrap, replay)  # and once more, redelivered
    async with intake_pool.acquire() as conn:
        [action] = await recorded_actions(conn, [target.rsplit(":", 2)[0]])
        [replayed] = await queued_messages(conn, f"{topic_prefix}claims.submitted.v1.replay")
        [row] = await conn.fetch("SELECT operator, seconded_by, reason FROM dead_letter_actions")
    assert (str(action.id), action.action) == (target, "replayed")
    assert dict(row) == {"operator": "alice", "seconded_by": "bob", "reason": "the portal fixed its schema"}
    assert replayed.key == b"642515712" and dict(replayed.headers) == {"trace": b"t-1", "replay.of": target.encode()}
    [outcome] = await outcomes(intake_pool, topic_prefix)
    assert (outcome.outcome, outcome.command_id, outcome.service) == ("applied", replay.event_id, "intake")


async def test_a_discard_is_recorded_and_a_later_replay_is_refused_not_dead_lettered(
    intake_pool: asyncpg.Pool, topic_prefix: str, kafka_bootstrap: str
) -> None:
    target = await dead_letter_on_the_broker(kafka_bootstrap, topic_prefix)
    discard = command(action="dead_letter_discard", target=target)
    late_replay = command(action="dead_letter_replay", target=target, seconded_by="bob")
    await apply(intake_pool, topic_prefix, kafka_bootstrap, discard, late_replay)
    async with intake_pool.acquire() as conn:
        [action] = await recorded_actions(conn, [target.rsplit(":", 2)[0]])
        assert await queued_messages(conn, f"{topic_prefix}claims.submitted.v1.replay") == []
        assert await queued_messages(conn, f"{topic_prefix}backoffice.intake-commands.v1.dlq") == []
    assert action.action == "discarded"
    applied, refused = await outcomes(intake_pool, topic_prefix)
    assert (applied.command_id, applied.outcome) == (discard.event_id, "applied")
    assert (refused.command_id, refused.outcome) == (late_replay.event_id, "refused")
    assert "already discarded by alice" in refused.detail


async def test_a_dead_letter_the_broker_does_not_hold_is_refused(
    intake_pool: asyncpg.Pool, topic_prefix: str, kafka_bootstrap: str
) -> None:
    await apply(
        intake_pool,
        topic_prefix,
        kafka_bootstrap,
        command(action="dead_letter_discard", target=f"{topic_prefix}claims.submitted.v1.dlq:0:999999"),
    )
    [outcome] = await outcomes(intake_pool, topic_prefix)
    assert outcome.outcome == "refused" and "aucune lettre morte" in outcome.detail
    assert await intake_pool.fetchval("SELECT count(*) FROM dead_letter_actions") == 0


async def held_outbox_row(pool: asyncpg.Pool) -> str:
    async with pool.acquire() as conn, conn.transaction():
        await write_outbox(conn, [OutboxMessage("not-a-topic-we-may-write", b"k", b"{}")])
        row_id = await conn.fetchval("SELECT max(id) FROM outbox")
        await hold_outbox_row(conn, row_id, "TopicAuthorizationFailedError")
    return str(row_id)


async def announcements(pool: asyncpg.Pool, prefix: str) -> list[tuple[bytes | None, SetAsideV1]]:
    async with pool.acquire() as conn:
        queued = await queued_messages(conn, prefix + "operations.set-aside.v1")
    return [(m.key, SetAsideV1.model_validate_json(m.value)) for m in queued]


async def test_a_held_outbox_row_is_released_by_command_and_the_decision_announced(
    intake_pool: asyncpg.Pool, topic_prefix: str, kafka_bootstrap: str
) -> None:
    row_id = await held_outbox_row(intake_pool)
    release = command(action="set_aside_release", kind="outbox_row", target=row_id, seconded_by="bob")
    await apply(intake_pool, topic_prefix, kafka_bootstrap, release, release)
    assert await intake_pool.fetchval("SELECT held FROM outbox WHERE id = $1", int(row_id)) is False
    decided = await intake_pool.fetchrow("SELECT state, decided_by, seconded_by FROM set_aside_items")
    assert dict(decided) == {"state": "released", "decided_by": "alice", "seconded_by": "bob"}
    [(key, announced)] = await announcements(intake_pool, topic_prefix)
    assert key == f"intake:outbox_row:{row_id}".encode()
    assert (announced.state, announced.decided_by, announced.reason) == ("released", "alice", release.reason)
    [outcome] = await outcomes(intake_pool, topic_prefix)
    assert outcome.outcome == "applied"


async def test_a_cancel_of_an_item_not_held_is_refused_and_changes_nothing(
    intake_pool: asyncpg.Pool, topic_prefix: str, kafka_bootstrap: str
) -> None:
    row_id = await held_outbox_row(intake_pool)
    cancel = command(action="set_aside_cancel", kind="outbox_row", target=row_id)
    unknown = command(action="set_aside_cancel", kind="outbox_row", target="999999")
    await apply(intake_pool, topic_prefix, kafka_bootstrap, cancel, unknown)
    assert await intake_pool.fetchval("SELECT count(*) FROM outbox WHERE id = $1", int(row_id)) == 0
    applied, refused = await outcomes(intake_pool, topic_prefix)
    assert (applied.outcome, refused.outcome) == ("applied", "refused")
    assert [a.state for _, a in await announcements(intake_pool, topic_prefix)] == ["cancelled"]


async def test_an_item_newly_set_aside_is_announced_with_the_commit(
    intake_pool: asyncpg.Pool, topic_prefix: str
) -> None:
    for _ in range(2):
        async with open_unit_of_work(intake_pool, announcing(PostgresUnitOfWork, "intake", topic_prefix)) as uow:
            await uow.set_aside("email", "42", "refused by the SMTP server for jane.doe@example.org")
            await uow.commit()
    [(key, announced)] = await announcements(intake_pool, topic_prefix)
    assert key == b"intake:email:42"
    assert (announced.service, announced.kind, announced.item_id, announced.state) == ("intake", "email", "42", "held")
    assert "jane.doe" not in announced.reason
    assert [item.item_id for item in await held_items(intake_pool)] == ["42"]
