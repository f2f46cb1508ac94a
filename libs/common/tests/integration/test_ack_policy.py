"""The acknowledgement policy on the real broker: an offset is committed only after the batch's transaction,
and a batch whose transaction failed is fetched again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from guichet_common.consumer import BatchProcessor, subscribe_batches
from guichet_common.kafka_admin import ensure_topics
from guichet_common.outbox import OutboxMessage
from guichet_common.pipeline import Subscription
from guichet_common.records import InboundRecord
from guichet_common.runtime import make_broker
from guichet_common.settings import CommonSettings
from guichet_common.topics import CLAIMS_SUBMITTED
from guichet_common.unit_of_work import PostgresUnitOfWork

pytestmark = pytest.mark.integration


async def committed(bootstrap: str, group: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or {0, 1, 2}
        offsets = [await consumer.committed(TopicPartition(topic, p)) for p in partitions]
        return sum(o or 0 for o in offsets)
    finally:
        await consumer.stop()


async def test_a_failed_transaction_is_redelivered_and_only_then_committed(
    intake_pool: asyncpg.Pool, topic_prefix: str, probe
) -> None:
    own_prefix = f"{topic_prefix}ack-{uuid.uuid4().hex[:6]}."  # a topic no other test writes to
    await ensure_topics(probe.bootstrap, prefix=own_prefix, partitions=3, specs=(CLAIMS_SUBMITTED,))
    topic, group = own_prefix + CLAIMS_SUBMITTED.name, f"ack-test-{uuid.uuid4().hex[:6]}"
    seen: list[bytes] = []

    async def handler(uow: PostgresUnitOfWork, records: Sequence[InboundRecord]) -> list[OutboxMessage]:
        seen.extend(r.value for r in records)
        if len(seen) == 1:
            raise asyncpg.PostgresConnectionError("the database went away mid-batch")
        return []

    as_received: Subscription[PostgresUnitOfWork, InboundRecord] = Subscription(handler, lambda r: r, event_id=None)

    broker = make_broker(CommonSettings(KAFKA_BOOTSTRAP_SERVERS=probe.bootstrap))
    subscribe_batches(
        broker,
        topic,
        group_id=group,
        processor=BatchProcessor(intake_pool, as_received, max_backoff_s=0.1),
        replays=False,
    )
    await broker.start()
    try:
        await probe.publish(topic, [(b"k", b"only-message")])
        for _ in range(200):
            if len(seen) >= 2:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # let the commit after the successful try land
    finally:
        await broker.stop()
    assert seen == [b"only-message", b"only-message"]  # failed once, fetched again, then applied
    assert await committed(probe.bootstrap, group, topic) == 1
