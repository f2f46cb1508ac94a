"""Publishes simulated registry records and claims on the external contract topics, as the feeds would."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaProducer

from guichet_common.contracts import EXAMPLES
from guichet_simulator.generator import SimulatedClaim

REGISTRY_TOPIC = "registry.companies.v1"
CLAIMS_TOPIC = "claims.submitted.v1"
TOPIC_PREFIX_ENV = "GUICHET_TOPIC_PREFIX"
_MAX_IN_FLIGHT = 1_000


@dataclass(frozen=True)
class PublishResult:
    registry_topic: str
    claims_topic: str
    registry_records: int
    claims: int
    claims_seconds: float  # from the first claim sent to the last one acknowledged

    @property
    def claims_per_second(self) -> float:
        return self.claims / self.claims_seconds if self.claims_seconds > 0 else float("inf")


def topic_prefix(prefix: str | None = None) -> str:
    """`prefix` when given, else `$GUICHET_TOPIC_PREFIX`, else no prefix."""
    return os.environ.get(TOPIC_PREFIX_ENV, "") if prefix is None else prefix


def encode(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@asynccontextmanager
async def kafka_producer(bootstrap_servers: str) -> AsyncIterator[AIOKafkaProducer]:
    """An idempotent producer (acks from all in-sync replicas), stopped (and flushed) on exit."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id="guichet-simulator",
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
    )
    try:
        await producer.start()
        yield producer
    finally:  # also after a failed start, which leaves connections open otherwise
        await producer.stop()


async def publish_registry_records(producer: AIOKafkaProducer, records: Iterable[dict], *, topic: str) -> int:
    """Sends every record keyed by its SIREN and returns once all are acknowledged."""
    sent = await _send_all(producer, topic, ((r["siren"], r) for r in records), rate=None)
    await producer.flush()
    return sent


async def publish_claim_events(
    producer: AIOKafkaProducer, events: Iterable[dict], *, topic: str, rate: float | None = None
) -> int:
    """Sends every claim event keyed by the applicant SIREN, at most `rate` per second (None: no limit)."""
    keyed = ((e["claim"]["applicant"]["siren"], e) for e in events)
    return await _send_all(producer, topic, keyed, rate=rate)


async def publish_simulation(
    claims: Sequence[SimulatedClaim],
    *,
    bootstrap_servers: str,
    prefix: str | None = None,
    rate: float | None = None,
) -> PublishResult:
    """The registry records of `claims` first (all acknowledged), then the claims themselves."""
    records = [c.registry_record for c in claims if c.registry_record is not None]
    return await _publish(bootstrap_servers, records, [c.event for c in claims], prefix=prefix, rate=rate)


async def publish_example(
    *, bootstrap_servers: str, prefix: str | None = None, examples_dir: Path | None = None
) -> PublishResult:
    """The contract examples: the registry record, then the claim that refers to it."""
    folder = examples_dir or EXAMPLES
    record = json.loads((folder / f"{REGISTRY_TOPIC}.json").read_text(encoding="utf-8"))
    event = json.loads((folder / f"{CLAIMS_TOPIC}.json").read_text(encoding="utf-8"))
    return await _publish(bootstrap_servers, [record], [event], prefix=prefix, rate=None)


async def _publish(
    bootstrap_servers: str, records: list[dict], events: list[dict], *, prefix: str | None, rate: float | None
) -> PublishResult:
    if rate is not None and rate <= 0:
        raise ValueError(f"rate must be positive claims per second, or None: {rate}")
    registry_topic, claims_topic = topic_prefix(prefix) + REGISTRY_TOPIC, topic_prefix(prefix) + CLAIMS_TOPIC
    async with kafka_producer(bootstrap_servers) as producer:
        await _require_topics(producer, {registry_topic, claims_topic})
        registry_count = await publish_registry_records(producer, records, topic=registry_topic)
        started = time.monotonic()
        claims_count = await publish_claim_events(producer, events, topic=claims_topic, rate=rate)
        elapsed = time.monotonic() - started
    return PublishResult(registry_topic, claims_topic, registry_count, claims_count, elapsed)


class MissingTopicsError(LookupError):
    """The broker does not have the topics (they are created on purpose, never automatically)."""


async def _require_topics(producer: AIOKafkaProducer, topics: set[str]) -> None:
    # Otherwise the producer waits out its whole metadata timeout on a missing topic, logging as it goes.
    cluster = await producer.client.fetch_all_metadata()
    missing = topics - set(cluster.topics())
    if missing:
        raise MissingTopicsError(f"topics not found on the broker: {', '.join(sorted(missing))}")


async def _send_all(
    producer: AIOKafkaProducer, topic: str, keyed: Iterable[tuple[str, dict]], *, rate: float | None
) -> int:
    loop = asyncio.get_running_loop()
    started = loop.time()
    in_flight: list[asyncio.Future] = []
    count = 0
    for key, value in keyed:
        if rate is not None:
            # Pace against the schedule, not the previous send, so slow sends do not lower the rate.
            delay = started + count / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        in_flight.append(await producer.send(topic, value=encode(value), key=key.encode("utf-8")))
        count += 1
        if len(in_flight) >= _MAX_IN_FLIGHT:
            await asyncio.gather(*in_flight)  # surfaces a delivery error instead of losing it
            in_flight.clear()
    await asyncio.gather(*in_flight)
    return count
