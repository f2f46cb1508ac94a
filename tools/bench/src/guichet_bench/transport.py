"""The transport limit: what Kafka and aiokafka alone can carry on this machine, with no database and no logic.

The same number of messages, of the same size, go through the same number of consume -> produce hops as claims go
through the services (intake, eligibility, payments), each hop its own process like a service, with the same
producer guarantees (idempotent, acks=all) and offsets committed after each batch is produced. The pipeline's
throughput divided by this one says how much of the machine the services' own work costs.

A hop runs as `python -m guichet_bench.transport SOURCE DESTINATION GROUP BOOTSTRAP`.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import uvloop
from aiokafka import AIOKafkaConsumer, TopicPartition

from guichet_common.kafka_admin import ensure_topics
from guichet_common.relay import idempotent_producer
from guichet_common.topics import TopicSpec
from guichet_simulator.publisher import kafka_producer

HOPS = 3  # intake, eligibility, payments: the services a claim crosses between submission and final status


@dataclass(frozen=True)
class TransportResult:
    messages: int
    hops: int
    message_bytes: int
    seconds: float

    @property
    def messages_per_s(self) -> float:
        return self.messages / self.seconds


async def relay_hop(source: str, destination: str, group: str, bootstrap: str) -> None:
    """Consume `source` in batches, produce every record to `destination`, commit; until SIGTERM."""
    consumer = AIOKafkaConsumer(
        source, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    producer = idempotent_producer(bootstrap)
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    await consumer.start()
    await producer.start()
    try:
        while not stopping.is_set():
            batches = await consumer.getmany(timeout_ms=100, max_records=500)
            deliveries = [
                await producer.send(destination, value=record.value, key=record.key)
                for records in batches.values()
                for record in records
            ]
            if deliveries:
                await asyncio.gather(*deliveries)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


async def measure_transport_limit(
    bootstrap: str,
    payloads: Sequence[tuple[bytes, bytes]],
    *,
    prefix: str,
    logs: Path,
    partitions: int = 6,
    replication_factor: int = 1,
) -> TransportResult:
    """Publish `payloads` (key, value) as fast as possible into hop 0 and time them out of the last hop.

    `replication_factor`: as the services' topics have, so that the limit is measured on equal terms (on a
    3-node cluster every write waits for two replicas)."""
    topics = [f"{prefix}transport.hop{i}" for i in range(HOPS + 1)]
    await ensure_topics(
        bootstrap,
        partitions=partitions,
        replication_factor=replication_factor,
        specs=tuple(TopicSpec(name) for name in topics),
    )
    logs.mkdir(parents=True, exist_ok=True)
    # Partitions assigned by number, not the topic subscribed: on a cluster each broker learns of a new topic on its
    # own schedule, and a subscribing consumer whose broker does not know it yet fails to start (the fetcher,
    # by contrast, waits for the metadata).
    last = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await last.start()
    hops: list[subprocess.Popen] = []
    try:
        last.assign([TopicPartition(topics[-1], partition) for partition in range(partitions)])
        hops = [_start_hop(topics[i], topics[i + 1], f"{prefix}hop{i}", bootstrap, logs) for i in range(HOPS)]
        await asyncio.sleep(3.0)  # the hops join their groups before the clock starts
        async with kafka_producer(bootstrap) as producer:
            started = time.monotonic()
            counter = asyncio.create_task(_count_arrivals(last, len(payloads)))
            in_flight = [await producer.send(topics[0], value=value, key=key) for key, value in payloads]
            await asyncio.gather(*in_flight)
            finished = await counter
    finally:
        await last.stop()
        for hop in hops:
            hop.send_signal(signal.SIGTERM)
        for hop in hops:
            hop.wait(timeout=30)
    size = round(sum(len(value) for _, value in payloads) / max(1, len(payloads)))
    return TransportResult(len(payloads), HOPS, size, finished - started)


def _start_hop(source: str, destination: str, group: str, bootstrap: str, logs: Path) -> subprocess.Popen:
    with (logs / f"transport-{group}.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "guichet_bench.transport", source, destination, group, bootstrap],
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def _count_arrivals(consumer: AIOKafkaConsumer, expected: int, timeout_s: float = 1800.0) -> float:
    """Monotonic time at which the `expected`-th message arrived at the last topic."""
    seen = 0
    deadline = time.monotonic() + timeout_s
    while seen < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"transport limit: {seen}/{expected} messages arrived")
        batches = await consumer.getmany(timeout_ms=200, max_records=10_000)
        seen += sum(len(records) for records in batches.values())
    return time.monotonic()


if __name__ == "__main__":
    uvloop.run(relay_hop(*sys.argv[1:5]))  # the services' event loop, so the ceiling is a fair one
