"""Publishes a stock file's valid records on `registry.companies.v1`, keyed by SIREN, as fast as the broker acks."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from aiokafka.errors import KafkaError

from guichet_common.kafka_admin import ensure_topics
from guichet_common.relay import idempotent_producer
from guichet_common.topics import REGISTRY_COMPANIES
from guichet_registry.mapping import REQUIRED_COLUMNS, Message, messages
from guichet_registry.stock import Rejection, StockReader

# Sends awaiting their ack. Enough to keep several full batches per partition on the wire; a bound so that a
# stalled broker stops the reading instead of filling memory with a whole file's records.
MAX_IN_FLIGHT = 20_000
KEPT_REJECTIONS = 10
PROGRESS_EVERY = 5_000  # rows between two progress calls: often enough for a bar, rare enough to cost nothing

# (rows read, bytes of the file read, records published so far): what a progress bar shows.
Progress = Callable[[int, int, int], None]


@dataclass
class ImportReport:
    topic: str
    rows_read: int = 0
    published: int = 0
    rejected: int = 0
    rejected_by_field: Counter[str] = field(default_factory=Counter)
    first_rejections: list[Rejection] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0

    def reject(self, rejection: Rejection) -> None:
        self.rejected += 1
        self.rejected_by_field[rejection.field] += 1
        if len(self.first_rejections) < KEPT_REJECTIONS:
            self.first_rejections.append(rejection)


class KafkaFailure(Exception):
    """Kafka refused or did not answer; `report` says how far the import got."""

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report


class Producer(Protocol):
    async def send(self, topic: str, value: bytes, key: bytes) -> asyncio.Future: ...

    async def flush(self) -> None: ...


async def publish(
    producer: Producer,
    topic: str,
    outcomes: Iterable[Message | Rejection],
    report: ImportReport,
    *,
    max_in_flight: int = MAX_IN_FLIGHT,
) -> None:
    """Sends without waiting for each ack; counts a record as published only once the broker has acked it."""
    in_flight: deque[asyncio.Future] = deque()
    for outcome in outcomes:
        if isinstance(outcome, Rejection):
            report.reject(outcome)
            continue
        in_flight.append(await producer.send(topic, value=outcome.value, key=outcome.key))
        if len(in_flight) >= max_in_flight:
            await in_flight.popleft()  # raises the delivery error, if any, instead of losing it
            report.published += 1
    await producer.flush()
    while in_flight:
        await in_flight.popleft()
        report.published += 1


async def import_stock(
    path: Path,
    *,
    bootstrap_servers: str,
    prefix: str = "",
    limit: int | None = None,
    partitions: int = 6,
    max_in_flight: int = MAX_IN_FLIGHT,
    progress: Progress | None = None,
) -> ImportReport:
    """Reads `path` row by row and publishes every valid record; rejected rows are counted, not published.

    `progress`, if given, is called every few thousand rows (a file of tens of millions of rows takes a while).
    Raises OSError or StockFileError for a file it cannot read, KafkaFailure when Kafka fails.
    """
    started = time.monotonic()
    topic = prefix + REGISTRY_COMPANIES.name
    report = ImportReport(topic)
    # utf-8-sig: a byte-order mark, if a re-saved file has one, must not become part of the first column's name.
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = StockReader(stream, REQUIRED_COLUMNS)
        try:
            await _create_topic(bootstrap_servers, prefix, partitions)
            producer = idempotent_producer(bootstrap_servers, client_id="guichet-registry")
            try:
                await producer.start()
                outcomes = messages(reader, limit)
                if progress is not None:
                    outcomes = _reporting(
                        outcomes, lambda: progress(reader.rows_read, stream.buffer.tell(), report.published)
                    )
                await publish(producer, topic, outcomes, report, max_in_flight=max_in_flight)
            finally:  # also after a failed start, which otherwise leaves its connections open
                await producer.stop()
        except (KafkaError, TimeoutError) as error:
            raise KafkaFailure(f"{type(error).__name__}: {error}", report) from error
        finally:
            report.rows_read, report.seconds = reader.rows_read, time.monotonic() - started
    return report


def _reporting(outcomes: Iterable[Message | Rejection], report: Callable[[], None]) -> Iterator[Message | Rejection]:
    for number, outcome in enumerate(outcomes, 1):
        if number % PROGRESS_EVERY == 0:
            report()
        yield outcome
    report()


async def _create_topic(bootstrap_servers: str, prefix: str, partitions: int) -> None:
    try:
        # Only this tool's topic (and its dead-letter topic): a throwaway prefix should not get the whole set.
        await ensure_topics(
            bootstrap_servers, prefix=prefix, partitions=partitions, specs=(REGISTRY_COMPANIES,), connect_timeout_s=20
        )
    except RuntimeError as error:  # ensure_topics' way of saying the broker refused to create it
        raise KafkaError(str(error)) from error
