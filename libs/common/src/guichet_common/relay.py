"""Outbox relay: publishes committed outbox rows in id order with an idempotent producer, then deletes them.

A crash between publish and delete publishes those rows again; consumers dedupe by `event_id`, so that is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    CorruptRecordException,
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    PolicyViolationError,
    RecordListTooLargeError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
    UnsupportedForMessageFormatError,
)

from guichet_common import failpoints
from guichet_common.db import TRANSIENT_DB_ERRORS
from guichet_common.kafka_security import environment_client_options
from guichet_common.logging import mask_text
from guichet_common.outbox import OUTBOX_CHANNEL, decode_headers
from guichet_common.outbox_set_aside import KIND as OUTBOX_KIND
from guichet_common.outbox_set_aside import hold_outbox_row
from guichet_common.set_aside import stored_reason

log = structlog.get_logger()

# Refusals that concern one record or its topic, never the broker's health: publishing it again as it is would
# fail the same way. A row that fails alone with one of these is held (TopicAuthorizationFailed: a topic this
# service may not write; MessageSizeTooLarge: client or broker limit; InvalidTopic: a name Kafka refuses). Errors
# raised before anything reaches the broker (a header that cannot be encoded, stored bytes that do not decode) are
# the row's own too. Everything else (connection lost, leader moving, timeouts, out-of-order sequence) is retried.
TOPIC_ERRORS = (TopicAuthorizationFailedError, InvalidTopicError, UnknownTopicOrPartitionError)
ITEM_ERRORS = (
    TopicAuthorizationFailedError,
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    CorruptRecordException,
    UnsupportedForMessageFormatError,
    PolicyViolationError,
    ValueError,  # UnicodeError, MalformedHeaders
    TypeError,
)


async def refused_for_itself(error: BaseException, topic: str, producer: AIOKafkaProducer | None) -> bool:
    """Whether `error` is the record's own failure rather than the broker's or the network's."""
    if isinstance(error, ITEM_ERRORS):
        return True
    if isinstance(error, UnknownTopicOrPartitionError) and producer is not None:
        # aiokafka raises it after waiting a whole request timeout for the topic's metadata, also when no broker
        # answered. The topic is missing only if a broker answers now and still does not list it.
        with contextlib.suppress(KafkaError, OSError, TimeoutError):
            answered = await asyncio.wait_for(producer.client.force_metadata_update(), timeout=10)
            return bool(answered) and producer.client.cluster.partitions_for_topic(topic) is None
    return False


def idempotent_producer(
    bootstrap_servers: str, *, client_options: Mapping[str, Any] | None = None, **overrides: object
) -> AIOKafkaProducer:
    """The one producer configuration the project uses: idempotent, acks from all in-sync replicas.

    `client_options` authenticate it (guichet_common.kafka_security); None takes them from the environment."""
    options: dict[str, object] = {
        "bootstrap_servers": bootstrap_servers,
        "enable_idempotence": True,
        "acks": "all",
        "linger_ms": 5,
        "max_batch_size": 256 * 1024,
        "request_timeout_ms": 30_000,
        **(environment_client_options() if client_options is None else client_options),
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


class OutboxRelay:
    """Runs beside a service's consumers; `run()` until cancelled, then `flush()` on shutdown."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        new_producer: Callable[[], Awaitable[AIOKafkaProducer]],
        *,
        batch_size: int = 1000,
        idle_poll_s: float = 0.5,
        on_published: Callable[[list[str]], None] | None = None,
    ) -> None:
        self._pool = pool
        self._new_producer = new_producer
        self._producer: AIOKafkaProducer | None = None
        self._batch_size = batch_size
        self._idle_poll_s = idle_poll_s
        self._wake = asyncio.Event()
        self.published = 0
        self._on_published = on_published  # told the topics of each batch, once it is deleted (metrics)

    async def run(self) -> None:
        listener = await self._pool.acquire()
        await listener.add_listener(OUTBOX_CHANNEL, self._on_notify)
        try:
            while True:
                try:
                    sent = await self.relay_once()
                except KafkaError as error:
                    # Nothing was deleted: the batch goes again. A broker restart can leave the idempotent
                    # producer's sequence numbers unusable (OutOfOrderSequenceNumber), so start a fresh one.
                    log.warning("outbox_relay_new_producer", error=str(error))
                    await self.close()
                    await asyncio.sleep(1.0)
                    continue
                except TRANSIENT_DB_ERRORS as error:
                    log.warning("outbox_relay_retrying", error=mask_text(str(error)))
                    await asyncio.sleep(1.0)
                    continue
                if sent < self._batch_size:
                    await self._wait_for_work()
        finally:
            with contextlib.suppress(Exception):
                await listener.remove_listener(OUTBOX_CHANNEL, self._on_notify)
            await self._pool.release(listener)

    async def close(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            with contextlib.suppress(Exception):
                await producer.stop()

    async def flush(self) -> None:
        """Publish whatever is still pending (used at shutdown)."""
        while await self.relay_once() == self._batch_size:
            pass

    async def relay_once(self) -> int:
        """Publish one batch of pending rows; returns how many were sent.

        A row the broker refuses for a reason of its own (see `refused_for_itself`) is tried once more alone, then
        held and set aside, and the rows behind it go out. Any other failure is the broker's or the network's: what
        went out is deleted, the error is raised, and the rest is tried again as a batch; nothing is held for it."""
        transient: BaseException | None = None
        async with self._pool.acquire() as proxy, proxy.transaction():
            conn = cast(asyncpg.Connection, proxy)  # the pool's proxy behaves as the connection
            # SKIP LOCKED lets a second relay of the same service take other rows instead of waiting.
            rows = await conn.fetch(
                "SELECT id, topic, key, value, headers FROM outbox WHERE NOT held"
                " ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                self._batch_size,
            )
            if not rows:
                return 0
            outcomes = await self._publish(rows)
            failed = [row for row in rows if outcomes[row["id"]] is not None]
            if failed and (transient := await self._first_transient(failed, outcomes)) is None:
                await self.close()  # a refused record may leave the idempotent producer's state unusable
                outcomes |= await self._publish(failed, one_at_a_time=True)
                failed = [row for row in failed if outcomes[row["id"]] is not None]
                if (transient := await self._first_transient(failed, outcomes)) is None:
                    for row in failed:
                        if (error := outcomes[row["id"]]) is not None:  # always, for a failed row
                            await self._hold(conn, row, error)
            sent = [row for row in rows if outcomes[row["id"]] is None]
            if sent:
                failpoints.crash_once("relay.after_publish")  # published, not yet deleted: the window tests aim at
                # Deleted, not marked: the domain tables are the record, the outbox only a queue, and a delete costs
                # the database far less than an update that rewrites every row (see common-002).
                await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [row["id"] for row in sent])
        self.published += len(sent)
        if self._on_published and sent:
            self._on_published([row["topic"] for row in sent])
        if transient is not None:
            raise transient
        return len(rows)

    async def _publish(
        self, rows: list[asyncpg.Record], *, one_at_a_time: bool = False
    ) -> dict[int, BaseException | None]:
        """Send the rows in id order; each row's outcome (None: on the broker). A topic refused as a whole is not
        asked again for the rows after it (an unknown one costs a metadata timeout each time)."""
        if self._producer is None:
            self._producer = await self._new_producer()
        refused_topics: dict[str, BaseException] = {}
        pending: dict[int, asyncio.Future[Any] | BaseException] = {}
        for row in rows:
            if row["topic"] in refused_topics:
                pending[row["id"]] = refused_topics[row["topic"]]
                continue
            try:
                pending[row["id"]] = delivery = await self._producer.send(
                    row["topic"], value=row["value"], key=row["key"], headers=list(decode_headers(row["headers"]))
                )
                if one_at_a_time:
                    await asyncio.wait([delivery])
            except TOPIC_ERRORS as error:
                refused_topics[row["topic"]] = pending[row["id"]] = error
            except (KafkaError, *ITEM_ERRORS) as error:
                pending[row["id"]] = error
        futures = {outbox_id: f for outbox_id, f in pending.items() if isinstance(f, asyncio.Future)}
        delivered = await asyncio.gather(*futures.values(), return_exceptions=True)
        outcomes: dict[int, BaseException | None] = {
            outbox_id: error for outbox_id, error in pending.items() if isinstance(error, BaseException)
        }
        for outbox_id, result in zip(futures, delivered, strict=True):
            outcomes[outbox_id] = result if isinstance(result, BaseException) else None
        return outcomes

    async def _first_transient(
        self, failed: list[asyncpg.Record], outcomes: dict[int, BaseException | None]
    ) -> BaseException | None:
        for row in failed:
            error = outcomes[row["id"]]
            if error is not None and not await refused_for_itself(error, row["topic"], self._producer):
                return error
        return None

    async def _hold(self, conn: asyncpg.Connection, row: asyncpg.Record, error: BaseException) -> None:
        if await hold_outbox_row(conn, row["id"], error):
            log.warning(
                "item_set_aside",
                kind=OUTBOX_KIND,
                item_id=str(row["id"]),
                topic=row["topic"],
                reason=stored_reason(error),
            )

    def _on_notify(self, *_args: object) -> None:
        self._wake.set()

    async def _wait_for_work(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self._idle_poll_s)
        self._wake.clear()
