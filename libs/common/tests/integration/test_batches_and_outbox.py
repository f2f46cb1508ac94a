"""The reliability shape on real PostgreSQL and Kafka: inbox, batch split + dead letter, outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import OutOfOrderSequenceNumber

from guichet_common.consumer import BatchProcessor
from guichet_common.inbox import first_sightings
from guichet_common.outbox import OutboxMessage, queued_messages, write_outbox
from guichet_common.pipeline import Subscription
from guichet_common.privacy.sealing import KeyNotYetKnown
from guichet_common.records import InboundRecord
from guichet_common.relay import OutboxRelay, idempotent_producer
from guichet_common.unit_of_work import PostgresUnitOfWork

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
    async def handler(uow: PostgresUnitOfWork, records: Sequence[InboundRecord]) -> list[OutboxMessage]:
        if any(r.value == b"boom" for r in records):
            raise ValueError("cannot handle this one")
        return [OutboxMessage("t.out", r.key, r.value or b"") for r in records]

    # Inbox by the records' coordinates, so redelivery has no second effect.
    subscription = Subscription(handler, lambda r: r, event_id=InboundRecord.fallback_event_id)
    processor = BatchProcessor(intake_pool, subscription)
    batch = [record(1, b"one"), record(2, b"boom"), record(3, b"three")]
    await processor.process(batch)
    await processor.process(batch)  # redelivered after a crash: no second effect anywhere
    async with intake_pool.acquire() as conn:
        rows = await queued_messages(conn)
    assert [(r.topic, r.value) for r in rows if r.topic == "t.out"] == [("t.out", b"one"), ("t.out", b"three")]
    dead = [r for r in rows if r.topic == "t.in.dlq"]
    assert len(dead) == 1 and dead[0].value == b"boom"
    headers = dict(dead[0].headers)
    assert b"cannot handle this one" in headers["dlq.reason"]
    assert headers["dlq.original.offset"] == b"2"


async def test_a_transient_database_error_is_raised_for_redelivery(intake_pool: asyncpg.Pool) -> None:
    async def handler(uow: PostgresUnitOfWork, records: Sequence[InboundRecord]) -> list[OutboxMessage]:
        raise asyncpg.PostgresConnectionError("server went away")

    processor = BatchProcessor(intake_pool, Subscription(handler, lambda r: r, event_id=None), max_backoff_s=0.01)
    with pytest.raises(asyncpg.PostgresConnectionError):
        await processor.process([record(1, b"x")])
    assert await intake_pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_the_relay_publishes_in_order_and_marks_rows(intake_pool: asyncpg.Pool, topic_prefix, probe) -> None:
    topic = topic_prefix + "claims.status.v1"
    values = [f"message {i}".encode() for i in range(25)]
    async with intake_pool.acquire() as conn, conn.transaction():
        await write_outbox(conn, [OutboxMessage(topic, b"same-key", v, (("h", b"1"),)) for v in values])

    async def started() -> AIOKafkaProducer:
        producer = idempotent_producer(probe.bootstrap)
        await producer.start()
        return producer

    relay = OutboxRelay(intake_pool, started, batch_size=10)
    try:
        await relay.flush()
        assert relay.published == 25
        assert await relay.relay_once() == 0
    finally:
        await relay.close()
    assert await intake_pool.fetchval("SELECT count(*) FROM outbox") == 0
    received = await probe.read_until(topic, lambda rs: len(rs) >= 25, timeout_s=20)
    assert [r.value for r in received] == values
    assert received[0].headers == (("h", b"1"),) or list(received[0].headers) == [("h", b"1")]


class _BrokenThenFine:
    """A producer whose sends fail like after a broker restart (sequence numbers lost), until it is replaced."""

    def __init__(self, broken: bool, sent: list) -> None:
        self.broken, self.sent, self.stopped = broken, sent, False

    async def send(self, topic: str, value: bytes, key: bytes | None, headers: list) -> object:
        future = asyncio.get_running_loop().create_future()
        if self.broken:
            future.set_exception(OutOfOrderSequenceNumber())
        else:
            self.sent.append(value)
            future.set_result(None)
        return future

    async def stop(self) -> None:
        self.stopped = True


async def test_the_relay_replaces_a_producer_the_broker_no_longer_accepts(intake_pool: asyncpg.Pool) -> None:
    async with intake_pool.acquire() as conn, conn.transaction():
        await write_outbox(conn, [OutboxMessage("t.out", b"k", f"m{i}".encode()) for i in range(3)])
    sent: list[bytes] = []
    made: list[_BrokenThenFine] = []

    async def new_producer() -> _BrokenThenFine:
        made.append(_BrokenThenFine(broken=not made, sent=sent))
        return made[-1]

    relay = OutboxRelay(intake_pool, new_producer, idle_poll_s=0.05)  # type: ignore[arg-type]
    running = asyncio.create_task(relay.run())
    try:
        for _ in range(100):
            # Sent is not enough: cancelling between the sends and the delete would leave the rows queued.
            if len(sent) == 3 and await intake_pool.fetchval("SELECT count(*) FROM outbox") == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert sent == [b"m0", b"m1", b"m2"]
    assert len(made) == 2 and made[0].stopped
    assert await intake_pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_a_batch_waits_for_a_key_not_yet_here_and_a_key_that_never_comes_is_a_dead_letter(
    intake_pool: asyncpg.Pool,
) -> None:
    """A sealed field's key comes on another topic, read by another consumer of the process: the batch waits for it
    (nothing applied meanwhile) and is applied whole once it is here; past the wait limit, the record whose key never
    came is a dead letter like any other it cannot apply, and the rest of its batch is applied."""
    keys_here: set[bytes] = set()
    attempts: list[int] = []

    async def handler(uow: PostgresUnitOfWork, records: Sequence[InboundRecord]) -> list[OutboxMessage]:
        attempts.append(len(records))
        for r in records:
            if r.value not in keys_here:
                raise KeyNotYetKnown((r.value or b"").decode(), "contact")
        return [OutboxMessage("t.out", r.key, r.value or b"") for r in records]

    subscription = Subscription(handler, lambda r: r, event_id=InboundRecord.fallback_event_id)
    processor = BatchProcessor(intake_pool, subscription, key_wait_limit_s=1.0)
    keys_here.add(b"CFN-1")
    waiting = asyncio.create_task(processor.process([record(1, b"CFN-1"), record(2, b"CFN-2")]))
    await asyncio.sleep(0.3)
    assert not waiting.done() and len(attempts) > 1  # tried again, nothing applied
    async with intake_pool.acquire() as conn:
        assert [r for r in await queued_messages(conn) if r.topic in ("t.out", "t.in.dlq")] == []
    keys_here.add(b"CFN-2")  # the key's consumer stored it
    await asyncio.wait_for(waiting, 2)
    async with intake_pool.acquire() as conn:
        assert [r.value for r in await queued_messages(conn) if r.topic == "t.out"] == [b"CFN-1", b"CFN-2"]
    await asyncio.wait_for(processor.process([record(3, b"CFN-3"), record(4, b"CFN-1")]), 5)
    async with intake_pool.acquire() as conn:
        rows = await queued_messages(conn)
    assert [r.value for r in rows if r.topic == "t.in.dlq"] == [b"CFN-3"]
    assert [r.value for r in rows if r.topic == "t.out"][-1] == b"CFN-1"
