"""What the console reads from Kafka: offsets, consumer groups' committed positions and dead letters.

Read-only and without a consumer group: nothing here commits an offset or joins a group, so looking never moves
what the services consume.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from guichet_common.topics import ALL_TOPICS
from guichet_console.dead_letters import DeadLetter, DeadLetterId

TIMEOUT_S = 15.0
READ_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class PartitionRange:
    beginning: int  # the first offset still on the broker
    end: int  # the offset the next record will get

    @property
    def size(self) -> int:
        return self.end - self.beginning


def dead_letter_topics(prefix: str) -> list[str]:
    """The deployment's `.dlq` topics, prefix included, in the order of `topics.ALL_TOPICS`."""
    return [prefix + spec.dead_letter() for spec in ALL_TOPICS if spec.has_dead_letters]


class KafkaView:
    def __init__(self, consumer: AIOKafkaConsumer, admin: AIOKafkaAdminClient) -> None:
        self._consumer = consumer
        self._admin = admin

    async def existing(self, topics: Iterable[str]) -> list[str]:
        known = await self._consumer.topics()
        return [topic for topic in topics if topic in known]

    async def ranges(self, topics: Iterable[str]) -> dict[TopicPartition, PartitionRange]:
        """Every partition of the existing `topics` with its first and next offsets."""
        present = await self.existing(topics)
        described = await self._admin.describe_topics(present) if present else []
        partitions = [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in described
            if topic["error_code"] == 0
            for partition in sorted(topic["partitions"], key=lambda p: p["partition"])
        ]
        if not partitions:
            return {}
        # Assigned first, the partitions are in the consumer's metadata: the offset look-ups then take
        # milliseconds instead of a metadata refresh per topic (about 0.1 s each).
        self._consumer.assign(partitions)
        beginnings = await self._consumer.beginning_offsets(partitions)
        ends = await self._consumer.end_offsets(partitions)
        return {tp: PartitionRange(beginnings[tp], ends[tp]) for tp in partitions}

    async def committed(self, group_id: str, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """The group's committed offsets on those partitions (absent where it never committed)."""
        offsets = await self._admin.list_consumer_group_offsets(group_id, partitions=partitions)
        return {tp: meta.offset for tp, meta in offsets.items() if meta is not None and meta.offset >= 0}

    async def read_all(self, topics: Iterable[str]) -> list[DeadLetter]:
        """Every record of `topics` from the beginning up to the end offsets seen when starting."""
        ranges = {tp: r for tp, r in (await self.ranges(topics)).items() if r.size > 0}
        if not ranges:
            return []
        self._consumer.assign(list(ranges))
        for tp, partition_range in ranges.items():
            self._consumer.seek(tp, partition_range.beginning)
        records: list[DeadLetter] = []
        remaining = set(ranges)
        deadline = asyncio.get_running_loop().time() + READ_TIMEOUT_S
        while remaining:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"dead-letter topics not read to their end within {READ_TIMEOUT_S:.0f} s")
            batches = await self._consumer.getmany(*remaining, timeout_ms=1000)
            for tp, batch in batches.items():
                records += [_as_dead_letter(r) for r in batch if r.offset < ranges[tp].end]
            # Positions, not record counts: a compacted or transactional topic has gaps in its offsets.
            remaining = {tp for tp in remaining if await self._consumer.position(tp) < ranges[tp].end}
        return sorted(records, key=lambda d: d.id)

    async def read_one(self, dead_letter_id: DeadLetterId) -> DeadLetter | None:
        tp = TopicPartition(dead_letter_id.topic, dead_letter_id.partition)
        partition_range = (await self.ranges([tp.topic])).get(tp)
        if partition_range is None or not partition_range.beginning <= dead_letter_id.offset < partition_range.end:
            return None
        self._consumer.assign([tp])
        self._consumer.seek(tp, dead_letter_id.offset)
        for _ in range(int(READ_TIMEOUT_S)):
            batch = (await self._consumer.getmany(tp, timeout_ms=1000, max_records=1)).get(tp, [])
            if batch:
                record = batch[0]
                return _as_dead_letter(record) if record.offset == dead_letter_id.offset else None
        raise TimeoutError(f"{dead_letter_id} not read within {READ_TIMEOUT_S:.0f} s")


def _as_dead_letter(record) -> DeadLetter:
    return DeadLetter(
        id=DeadLetterId(record.topic, record.partition, record.offset),
        key=record.key,
        value=record.value,
        headers=tuple(record.headers or ()),
        timestamp_ms=record.timestamp or 0,
    )


@contextlib.asynccontextmanager
async def kafka_view(bootstrap_servers: str) -> AsyncIterator[KafkaView]:
    """A group-less consumer and an admin client; raises (KafkaError, TimeoutError) when the broker is away."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        request_timeout_ms=int(TIMEOUT_S * 1000),
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=int(TIMEOUT_S * 1000))
    try:
        await asyncio.wait_for(consumer.start(), TIMEOUT_S)
        await asyncio.wait_for(admin.start(), TIMEOUT_S)
        yield KafkaView(consumer, admin)
    finally:
        with contextlib.suppress(Exception):
            await consumer.stop()
        with contextlib.suppress(Exception):
            await admin.close()
