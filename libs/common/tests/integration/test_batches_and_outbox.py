"""The reliability shape on real PostgreSQL and Kafka: inbox, batch split + dead letter, outbox relay."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from guichet_common.consumer import BatchProcessor
from guichet_common.inbox import first_sightings
from guichet_common.outbox import OutboxMessage, write_outbox
from guichet_common.records import InboundRecord
from guichet_common.relay import OutboxRelay, idempotent_producer

pytestmark = pytest.mark.integration


def record(offset: int, value: bytes) -> InboundRecord:
    return InboundRecord(topic="t.in", partition=0, offset=offset, key=b"k", value=value)


async def test_inbox_reports_only_first_sightings(intake_pool: asyncpg.Pool) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    async with intake_pool.acquire() as conn:
        assert await first_sightings(conn, "t", [a, b, a]) == {a, b}
        assert await first_sightings(conn, "t", [a, b]) == set()


async def test_a_rolled_back_batch_leaves_no_inbox_row(intake_pool: asyncpg.Pool) -> None:
    event = uuid.uuid4()
    with pytest.raises(RuntimeError):
        async with intake_pool.acquire() as conn, conn.transaction():
            await first_sightings(conn, "t", [event])
            raise RuntimeError("crash before commit")
    async with intake_pool.acquire() as conn:
        assert await first_sightings(conn, "t", [event]) == {event}


async def test_a_poison_record_is_dead_lettered_and_the_rest_of_its_batch_applied(intake_pool: asyncpg.Pool) -> None:
    async def handler(conn: asyncpg.Connection, records) -> None:
        # Shaped like a real handler: inbox first, so redelivery has no second effect.
        fresh = await first_sightings(conn, "t.in", [r.fallback_event_id() for r in records])
        for r in records:
            if r.value == b"boom":
                raise ValueError("cannot handle this one")
        news = [r for r in records if r.fallback_event_id() in fresh]
        await write_outbox(conn, [OutboxMessage("t.out", r.key, r.value) for r in news])

    processor = BatchProcessor(intake_pool, handler)
    batch = [record(1, b"one"), record(2, b"boom"), record(3, b"three")]
    await processor.process(batch)
    await processor.process(batch)  # redelivered after a crash: no second effect anywhere
    rows = await intake_pool.fetch("SELECT topic, value, headers FROM outbox ORDER BY id")
    assert [(r["topic"], r["value"]) for r in rows if r["topic"] == "t.out"] == [("t.out", b"one"), ("t.out", b"three")]
    dead = [r for r in rows if r["topic"] == "t.in.dlq"]
    assert len(dead) == 1 and dead[0]["value"] == b"boom"
    headers = dict(dead[0]["headers"])
    assert "cannot handle this one" in headers["dlq.reason"]
    assert headers["dlq.original.offset"] == "2"


async def test_a_transient_database_error_is_raised_for_redelivery(intake_pool: asyncpg.Pool) -> None:
    async def handler(conn: asyncpg.Connection, records) -> None:
        raise asyncpg.PostgresConnectionError("server went away")

    with pytest.raises(asyncpg.PostgresConnectionError):
        await BatchProcessor(intake_pool, handler, max_backoff_s=0.01).process([record(1, b"x")])
    assert await intake_pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_the_relay_publishes_in_order_and_marks_rows(intake_pool: asyncpg.Pool, topic_prefix, probe) -> None:
    topic = topic_prefix + "claims.status.v1"
    values = [f"message {i}".encode() for i in range(25)]
    async with intake_pool.acquire() as conn, conn.transaction():
        await write_outbox(conn, [OutboxMessage(topic, b"same-key", v, (("h", b"1"),)) for v in values])
    producer = idempotent_producer(probe.bootstrap)
    await producer.start()
    try:
        relay = OutboxRelay(intake_pool, producer, batch_size=10)
        await relay.flush()
        assert relay.published == 25
        assert await relay.relay_once() == 0
    finally:
        await producer.stop()
    assert await intake_pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    received = await probe.read_until(topic, lambda rs: len(rs) >= 25, timeout_s=20)
    assert [r.value for r in received] == values
    assert received[0].headers == (("h", b"1"),) or list(received[0].headers) == [("h", b"1")]
