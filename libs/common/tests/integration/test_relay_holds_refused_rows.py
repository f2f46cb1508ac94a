"""The outbox relay on real PostgreSQL and Kafka: a row the broker refuses on its own is held and set aside, once,
the rows behind it go out in order; a failure of the broker itself holds nothing; an operator releases or cancels
a held row."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import NotLeaderForPartitionError

from guichet_common.outbox import OutboxMessage, backlog, write_outbox
from guichet_common.relay import OutboxRelay, idempotent_producer
from guichet_common.set_aside import held_items

pytestmark = pytest.mark.integration


def _relay(pool: asyncpg.Pool, bootstrap: str) -> OutboxRelay:
    async def started() -> AIOKafkaProducer:
        # A short metadata wait: a topic that cannot exist is given up on after 3 s instead of 30.
        producer = idempotent_producer(bootstrap, request_timeout_ms=3_000)
        await producer.start()
        return producer

    return OutboxRelay(pool, started)


async def _queue(pool: asyncpg.Pool, messages: list[OutboxMessage]) -> list[int]:
    async with pool.acquire() as conn, conn.transaction():
        await write_outbox(conn, messages)
        return [row["id"] for row in await conn.fetch("SELECT id FROM outbox ORDER BY id")]


async def test_refused_rows_are_held_once_and_the_others_go_out_in_order(
    intake_pool: asyncpg.Pool, topic_prefix: str, probe, capsys: pytest.CaptureFixture[str]
) -> None:
    topic = topic_prefix + "claims.status.v1"
    ids = await _queue(
        intake_pool,
        [
            OutboxMessage(topic, b"k", b"first"),
            OutboxMessage(topic, b"k", b"x" * 1_200_000),  # over the producer's 1 MiB request limit
            OutboxMessage(topic, b"k", b"second"),
            OutboxMessage("not a valid topic!", b"k", b"lost"),  # Kafka refuses the name
            OutboxMessage(topic, b"k", b"third"),
        ],
    )
    relay = _relay(intake_pool, probe.bootstrap)
    try:
        await asyncio.wait_for(relay.flush(), timeout=120)
        assert await relay.relay_once() == 0  # held rows are not tried again
    finally:
        await relay.close()

    received = await probe.read_until(topic, lambda rs: len([r for r in rs if r.key == b"k"]) >= 3, timeout_s=20)
    assert [r.value for r in received if r.value in (b"first", b"second", b"third")] == [b"first", b"second", b"third"]
    async with intake_pool.acquire() as conn:
        held = await held_items(conn, "outbox_row")
        assert await backlog(conn) == 0
        assert sorted(r["id"] for r in await conn.fetch("SELECT id FROM outbox WHERE held")) == [ids[1], ids[3]]
    assert [item.item_id for item in held] == [str(ids[1]), str(ids[3])]
    assert "MessageSizeTooLarge" in held[0].reason
    assert "UnknownTopicOrPartition" in held[1].reason or "InvalidTopic" in held[1].reason
    assert capsys.readouterr().out.count("item_set_aside") == 2


async def test_release_puts_a_row_back_and_cancel_deletes_it(
    intake_pool: asyncpg.Pool, topic_prefix: str, probe
) -> None:
    from guichet_common.outbox_set_aside import cancel_outbox_row, release_outbox_row
    from guichet_common.set_aside import SetAsideDecisionRefused, record_decision

    ids = await _queue(
        intake_pool,
        [
            OutboxMessage(topic_prefix + "claims.status.v1", b"k", b"y" * 1_200_000),
            OutboxMessage("bad name!", None, b"z"),
        ],
    )
    relay = _relay(intake_pool, probe.bootstrap)
    try:
        await asyncio.wait_for(relay.flush(), timeout=120)
        async with intake_pool.acquire() as conn, conn.transaction():
            await record_decision(conn, "outbox_row", str(ids[0]), "released", "alice", "limit raised")
            await release_outbox_row(conn, str(ids[0]))
            await record_decision(conn, "outbox_row", str(ids[1]), "cancelled", "bob", "no such topic")
            await cancel_outbox_row(conn, str(ids[1]))
        async with intake_pool.acquire() as conn:
            assert await backlog(conn) == 1
            with pytest.raises(SetAsideDecisionRefused):
                await cancel_outbox_row(conn, str(ids[1]))
            with pytest.raises(SetAsideDecisionRefused):
                await release_outbox_row(conn, "1e3")
        await asyncio.wait_for(relay.flush(), timeout=60)  # still too large: held again, news again
    finally:
        await relay.close()
    async with intake_pool.acquire() as conn:
        assert [r["id"] for r in await conn.fetch("SELECT id FROM outbox")] == [ids[0]]
        assert [i.item_id for i in await held_items(conn, "outbox_row")] == [str(ids[0])]


class _BrokerMovingLeaders:
    def __init__(self) -> None:
        self.stopped = False

    async def send(self, topic: str, value: bytes, key: bytes | None, headers: list) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        future.set_exception(NotLeaderForPartitionError())
        return future

    async def stop(self) -> None:
        self.stopped = True


async def test_a_broker_failure_holds_nothing_and_keeps_the_batch(intake_pool: asyncpg.Pool) -> None:
    await _queue(intake_pool, [OutboxMessage("t.out", b"k", b"a"), OutboxMessage("t.out", b"k", b"b")])

    async def moving() -> _BrokerMovingLeaders:
        return _BrokerMovingLeaders()

    relay = OutboxRelay(intake_pool, moving)  # type: ignore[arg-type]
    with pytest.raises(NotLeaderForPartitionError):
        await relay.relay_once()
    async with intake_pool.acquire() as conn:
        assert await backlog(conn) == 2
        assert await held_items(conn) == []
