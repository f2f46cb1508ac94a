"""Batch consumption with an explicit acknowledgement policy.

The shape (../shared/guides/reliability.md): fetch a batch, apply it in ONE database transaction (inbox, domain
change, outbox), commit the transaction, then commit the offsets. FastStream's default (`ACK_FIRST`) would commit
before processing, so every subscriber here uses `NACK_ON_ERROR`: offsets are committed only after the handler
returned, and a raised error seeks the partitions back so the batch is fetched again.

A batch that fails for a reason other than an unavailable database is split: each record is applied alone, and
a record that still fails is dead-lettered with the error, so one bad record never stalls its partition. A record
whose header name is not UTF-8 is dead-lettered before the handler sees it (guichet_common.kafka_record_decoding lets
aiokafka read it at all).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, cast

import asyncpg
import structlog
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from guichet_common.db import TRANSIENT_DB_ERRORS, PoolSlot
from guichet_common.inbox import first_sightings
from guichet_common.kafka_record_decoding import install as read_header_names_leniently
from guichet_common.kafka_record_decoding import unreadable_header_names
from guichet_common.logging import mask_text
from guichet_common.outbox import write_outbox
from guichet_common.pipeline import Subscription
from guichet_common.privacy.sealing import KeyNotYetKnown
from guichet_common.records import InboundRecord, dead_letter, raw_dead_letter
from guichet_common.set_aside import set_aside
from guichet_common.topics import REPLAY_SUFFIX
from guichet_common.unit_of_work import PostgresUnitOfWork, open_unit_of_work

log = structlog.get_logger()


class BatchProcessor:
    """Applies a subscription to each batch on one unit of work (one transaction), with bisection and
    dead-lettering of poison."""

    def __init__(
        self,
        pool: asyncpg.Pool | PoolSlot,
        subscription: Subscription[Any, Any],
        unit_of_work: Callable[[asyncpg.Connection], PostgresUnitOfWork] = PostgresUnitOfWork,
        *,
        max_backoff_s: float = 5.0,
        key_wait_limit_s: float = 30.0,
    ) -> None:
        self._pool = pool
        self._subscription = subscription
        self._unit_of_work = unit_of_work
        self._max_backoff_s = max_backoff_s
        self._consecutive_transient_failures = 0
        # A sealed field whose key has not arrived yet (it comes on privacy.claim-keys.v1, read by another consumer
        # of this process) holds its batch back briefly; one whose key never comes is a handler error after this.
        self._key_wait_limit_s = key_wait_limit_s
        self._key_wait_since: float | None = None

    async def process(self, records: Sequence[InboundRecord]) -> None:
        try:
            readable = await self._dead_letter_unreadable_headers(records)
            if readable:
                await self._apply_once_keys_are_here(readable)
        except TRANSIENT_DB_ERRORS as error:
            # Nothing was committed; back off, then let the consumer seek back and fetch the batch again.
            self._consecutive_transient_failures += 1
            delay = min(self._max_backoff_s, 0.2 * 2**self._consecutive_transient_failures)
            log.warning("batch_retry_later", error=mask_text(str(error)), records=len(records), delay_s=delay)
            await asyncio.sleep(delay)
            raise
        self._consecutive_transient_failures = 0

    async def _apply_once_keys_are_here(self, records: Sequence[InboundRecord]) -> None:
        """Apply the batch, again after a short pause while a sealed field's key is on its way: the key topic's
        consumer runs beside this one in the process, so it lands within milliseconds, and waiting here costs less
        than handing the batch back to be fetched again (which the framework also logs as an error)."""
        pauses = 0
        try:
            while True:
                try:
                    await self._apply(records)
                    return
                except KeyNotYetKnown as waiting:
                    pauses += 1
                    if pauses == 1 or pauses % 50 == 0:
                        log.info("batch_waits_for_key", subject=waiting.subject, kind=waiting.kind, pauses=pauses)
                    await asyncio.sleep(min(0.2, 0.01 * 2 ** min(pauses, 5)))
        finally:
            self._key_wait_since = None

    async def _apply(self, records: Sequence[InboundRecord]) -> None:
        try:
            async with open_unit_of_work(self._pool, self._unit_of_work) as uow:
                await self._subscription.apply(uow, records)
        except TRANSIENT_DB_ERRORS:
            raise
        except KeyNotYetKnown as waiting:
            now = asyncio.get_running_loop().time()
            self._key_wait_since = self._key_wait_since or now
            if now - self._key_wait_since < self._key_wait_limit_s:
                raise
            await self._handler_error(records, waiting)
        except Exception as error:
            await self._handler_error(records, error)

    async def _handler_error(self, records: Sequence[InboundRecord], error: Exception) -> None:
        if len(records) > 1:
            log.warning("batch_split_after_error", error=mask_text(repr(error)), records=len(records))
            for record in records:
                await self._apply([record])
        else:
            await self._dead_letter(records[0], f"handler error: {mask_text(repr(error))}")

    async def _dead_letter_unreadable_headers(self, records: Sequence[InboundRecord]) -> list[InboundRecord]:
        """The records a handler can read. One with a header name that is not UTF-8 was written by no client of
        ours (theirs cannot write one): it is dead-lettered here, whatever its value, so the handler never sees it."""
        readable = []
        for record in records:
            if (reason := unreadable_header_names(record.headers)) is None:
                readable.append(record)
            else:
                await self._dead_letter(record, mask_text(reason))
        return readable

    async def _dead_letter(self, record: InboundRecord, reason: str) -> None:
        async with self._pool.acquire() as proxy, proxy.transaction():
            conn = cast(asyncpg.Connection, proxy)  # the pool's proxy behaves as the connection
            # Keyed by the record's coordinates, so a redelivery of it is dead-lettered only once.
            if not await first_sightings(conn, record.topic, [record.fallback_event_id()]):
                return
            # A topic the service reads without owning it: what cannot be applied is set aside, never dead-lettered.
            if (kind := self._subscription.set_aside_kind) is not None:
                await set_aside(conn, kind, record.coordinates, reason)
                log.error("record_set_aside", kind=kind, coordinates=record.coordinates)
                return
            try:
                async with conn.transaction():
                    await write_outbox(conn, [dead_letter(record, reason)])
            except TRANSIENT_DB_ERRORS:
                raise
            except Exception as unwritable:
                # The one write that must not fail: keep the raw key and value with our own headers only.
                reason += f"; its headers could not be kept: {mask_text(repr(unwritable))}"
                await write_outbox(conn, [raw_dead_letter(record, reason)])
            log.error("record_dead_lettered", coordinates=record.coordinates, reason=reason)


def _to_inbound(record: ConsumerRecord) -> InboundRecord:
    return InboundRecord(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        headers=tuple(record.headers or ()),
        timestamp_ms=record.timestamp or 0,
    )


async def _parse_tolerantly(raw: tuple[ConsumerRecord, ...], original_parser: Callable[..., Any]) -> Any:
    # FastStream decodes header values as UTF-8 and would fail the whole batch on one bad or null header; it reads
    # harmless copies, while the handler gets the records as received (a dead letter keeps their headers exactly).
    safe = tuple(
        dataclasses.replace(
            record,
            headers=[(k, b"" if v is None else v.decode("utf-8", "replace").encode()) for k, v in record.headers],
        )
        if record.headers
        else record  # most records carry no header: nothing to copy
        for record in raw
    )
    message = await original_parser(safe)
    message.raw_message = raw  # same coordinates: acknowledgements and seeks are unchanged
    return message


async def _keep_raw(message: Any, _original_decoder: Callable[..., Any]) -> Any:
    return message.body


def subscribe_batches(
    broker: KafkaBroker,
    topic: str,
    *,
    group_id: str,
    processor: BatchProcessor,
    max_records: int = 500,
    title: str | None = None,
    description: str | None = None,
    replays: bool = True,
) -> None:
    """Attach `processor` to `topic`, and to its replay topic (`<topic>.replay`, where `guichet dlq replay` sends
    dead letters back) unless `replays` is False, as a batch subscriber with the project's consumer settings."""
    read_header_names_leniently()  # before any fetch: one non-UTF-8 header name would stop the subscriber

    @broker.subscriber(
        topic,
        *((topic + REPLAY_SUFFIX,) if replays else ()),
        group_id=group_id,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=100,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        parser=_parse_tolerantly,
        decoder=_keep_raw,
        title=title,
        description=description,
    )
    async def handle_batch(message: KafkaMessage) -> None:
        records = [_to_inbound(record) for record in message.raw_message]
        with structlog.contextvars.bound_contextvars(topic=topic, records=len(records)):
            await processor.process(records)
