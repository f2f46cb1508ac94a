"""Outbox relay: publishes committed outbox rows in id order with an idempotent producer, then deletes them.

A crash between publish and delete publishes those rows again; consumers dedupe by `event_id`, so that is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from guichet_common import failpoints
from guichet_common.db import TRANSIENT_DB_ERRORS
from guichet_common.kafka_security import environment_client_options
from guichet_common.logging import mask_text
from guichet_common.outbox import OUTBOX_CHANNEL

log = structlog.get_logger()


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
        """Publish one batch of pending rows; returns how many were sent."""
        async with self._pool.acquire() as conn, conn.transaction():
            # SKIP LOCKED lets a second relay of the same service take other rows instead of waiting.
            rows = await conn.fetch(
                "SELECT id, topic, key, value, headers FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                self._batch_size,
            )
            if not rows:
                return 0
            if self._producer is None:
                self._producer = await self._new_producer()
            deliveries = [
                await self._producer.send(
                    row["topic"],
                    value=row["value"],
                    key=row["key"],
                    headers=[(k, v.encode()) for k, v in row["headers"]],
                )
                for row in rows
            ]
            await asyncio.gather(*deliveries)
            failpoints.crash_once("relay.after_publish")  # published, not yet deleted: the window tests aim at
            # Deleted, not marked: the domain tables are the record, the outbox only a queue, and a delete costs the
            # database far less than an update that rewrites every row (see common-002).
            await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [row["id"] for row in rows])
        self.published += len(rows)
        if self._on_published:
            self._on_published([row["topic"] for row in rows])
        return len(rows)

    def _on_notify(self, *_args: object) -> None:
        self._wake.set()

    async def _wait_for_work(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self._idle_poll_s)
        self._wake.clear()
