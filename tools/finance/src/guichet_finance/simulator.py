"""The Kafka side of the finance simulator: consume payments.issued.v1, answer on payments.settlements.v1.

At-least-once: offsets are committed only after the answers are acknowledged, so a crash answers some
instructions again, with the same event_id, which the payments service dedupes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from pydantic import ValidationError

from guichet_common.contracts import PaymentIssuedV1
from guichet_common.contracts.payments import ISSUED_TOPIC, SETTLEMENTS_TOPIC
from guichet_common.relay import idempotent_producer
from guichet_finance.bank import DEFAULT_RETURN_EVERY, encode, settle

GROUP_ID = "guichet-finance-simulator"
TOPIC_POLL_S = 1.0
log = structlog.get_logger()


@dataclass(frozen=True)
class FinanceConfig:
    bootstrap: str
    topic_prefix: str = ""
    return_every: int = DEFAULT_RETURN_EVERY
    delay_s: float = 0.5
    group_id: str = GROUP_ID
    poll_ms: int = 500  # also how long a stop request may wait
    max_records: int = 500


class FinanceSimulator:
    """Answers every (payment_id, attempt) once per process; `run()` until `stop` is set or `duration_s` passes."""

    def __init__(self, config: FinanceConfig) -> None:
        if config.return_every < 1:
            raise ValueError(f"return_every must be at least 1, not {config.return_every}")
        self.config = config
        self.issued_topic = config.topic_prefix + ISSUED_TOPIC
        self.settlements_topic = config.topic_prefix + SETTLEMENTS_TOPIC
        self.consumed = 0
        self.published = 0
        # A redelivery within this process is not answered twice; after a restart it is, with the same event_id.
        self._answered: set[tuple[str, int]] = set()

    async def run(self, stop: asyncio.Event, *, duration_s: float | None = None) -> None:
        deadline = None if duration_s is None else time.monotonic() + duration_s

        def running() -> bool:
            return not stop.is_set() and (deadline is None or time.monotonic() < deadline)

        producer = idempotent_producer(self.config.bootstrap)
        await producer.start()
        try:
            if not await _wait_for_topics(producer, {self.issued_topic, self.settlements_topic}, running):
                return
            consumer = AIOKafkaConsumer(
                self.issued_topic,
                bootstrap_servers=self.config.bootstrap,
                group_id=self.config.group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
            )
            await consumer.start()
            try:
                log.info("finance_simulator_started", topic=self.issued_topic, return_every=self.config.return_every)
                while running():
                    await self.answer_once(consumer, producer, stop)
            finally:
                await consumer.stop()
        finally:
            await producer.stop()
            log.info("finance_simulator_stopped", consumed=self.consumed, published=self.published)

    async def answer_once(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, stop: asyncio.Event) -> int:
        """One poll: wait like a bank, answer what came, then commit. Returns how many answers were published."""
        batches = await consumer.getmany(timeout_ms=self.config.poll_ms, max_records=self.config.max_records)
        records = [record for partition in batches.values() for record in partition]
        if not records:
            return 0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=self.config.delay_s)
        if stop.is_set():
            return 0  # not committed: answered by the next run
        now = dt.datetime.now(dt.UTC)
        deliveries, answered = [], []
        for record in records:
            issued = _parse(record)
            if issued is None or (issued.payment_id, issued.attempt) in self._answered:
                continue
            self._answered.add((issued.payment_id, issued.attempt))
            settlement = settle(issued, now=now, return_every=self.config.return_every)
            key, value = issued.payment_id.encode(), encode(settlement)
            deliveries.append(await producer.send(self.settlements_topic, key=key, value=value))
            answered.append(settlement)
        await asyncio.gather(*deliveries)
        await consumer.commit()
        self.consumed += len(records)
        self.published += len(answered)
        for settlement in answered:
            # Identifiers and outcome only: the instruction's IBAN and name never reach a log line.
            log.info(
                "payment_answered",
                payment_id=settlement.payment_id,
                attempt=settlement.attempt,
                status=settlement.status,
                return_reason_code=settlement.return_reason_code,
            )
        return len(answered)


async def _wait_for_topics(producer: AIOKafkaProducer, topics: set[str], running: Callable[[], bool]) -> bool:
    """True once the broker has `topics`; False if asked to stop first.

    The services create topics at start-up (never the broker), and a consumer subscribed to a missing topic
    neither starts nor stops cleanly, so wait here, where a stop request is heard.
    """
    logged = False
    while running():
        cluster = await producer.client.fetch_all_metadata()
        missing = sorted(topics - set(cluster.topics()))
        if not missing:
            return True
        if not logged:
            log.warning("finance_simulator_waiting_for_topics", missing=missing)
            logged = True
        await asyncio.sleep(TOPIC_POLL_S)
    return False


def _parse(record: ConsumerRecord) -> PaymentIssuedV1 | None:
    try:
        return PaymentIssuedV1.model_validate_json(record.value or b"")
    except ValidationError as error:
        # Field locations only: the error's input values could hold an IBAN or a name.
        fields = sorted({".".join(map(str, e["loc"])) for e in error.errors()})
        log.warning("issued_payment_unreadable", partition=record.partition, offset=record.offset, fields=fields)
        return None
