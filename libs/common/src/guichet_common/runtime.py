"""Process wiring shared by every service: logging, pool, migrations, topics, relay, subscribers, shutdown.

A service's `app.py` calls `build_app` with a `wire` function that registers its handlers; everything
process-wide is created here, once, in the order that keeps shutdown safe: consumers stop first, then the
outbox is flushed, then the producer and the pool close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import structlog
from faststream import FastStream
from faststream.kafka import KafkaBroker

from guichet_common.consumer import BatchHandler, BatchProcessor, subscribe_batches
from guichet_common.db import create_pool, run_migrations
from guichet_common.kafka_admin import ensure_topics
from guichet_common.logging import adopt_framework_loggers, configure_logging
from guichet_common.relay import OutboxRelay, idempotent_producer
from guichet_common.settings import CommonSettings

COMMON_MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger()


@dataclass
class Wiring:
    """What a service's `wire` function receives: the process-wide resources, and ways to attach work."""

    name: str
    settings: CommonSettings
    broker: KafkaBroker
    pool: asyncpg.Pool
    background: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)

    def subscribe(self, topic: str, handler: BatchHandler, *, description: str | None = None) -> None:
        """Consume `topic` (contract name, prefix added here) in batches, one transaction per batch."""
        subscribe_batches(
            self.broker,
            self.settings.topic(topic),
            # A group per subscription: two topics of one service never stall each other's rebalances.
            group_id=f"guichet-{self.name}.{self.settings.topic(topic)}",
            processor=BatchProcessor(self.pool, handler),
            max_records=self.settings.consumer_max_records,
            description=description,
        )

    def run_in_background(self, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.background.append(job)


def make_broker(settings: CommonSettings) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        logger=logging.getLogger("faststream"),
        # One line per message would drown the logs at thousands of claims per second.
        log_level=logging.DEBUG,
        graceful_timeout=15.0,
    )


def build_app(
    *,
    name: str,
    settings: CommonSettings,
    migrations: Path,
    wire: Callable[[Wiring], Awaitable[None]],
) -> FastStream:
    configure_logging(settings.log_level, settings.log_format, service=name)
    broker = make_broker(settings)
    app = FastStream(broker, logger=logging.getLogger("faststream"))
    resources: dict[str, Any] = {}

    @app.on_startup
    async def start() -> None:
        pool = await create_pool(settings.database_url, size=settings.database_pool_size)
        await run_migrations(pool, COMMON_MIGRATIONS)
        await run_migrations(pool, migrations)
        await ensure_topics(
            settings.kafka_bootstrap_servers, prefix=settings.topic_prefix, partitions=settings.topic_partitions
        )
        producer = idempotent_producer(settings.kafka_bootstrap_servers)
        await producer.start()
        relay = OutboxRelay(pool, producer)
        wiring = Wiring(name=name, settings=settings, broker=broker, pool=pool)
        await wire(wiring)
        tasks = [asyncio.create_task(relay.run(), name="outbox-relay")]
        tasks += [asyncio.create_task(job(), name=job.__name__) for job in wiring.background]
        resources.update(pool=pool, producer=producer, relay=relay, tasks=tasks)
        adopt_framework_loggers()
        log.info("service_started", topic_prefix=settings.topic_prefix)

    @app.after_startup
    async def quiet_framework() -> None:
        adopt_framework_loggers()

    @app.after_shutdown
    async def stop() -> None:
        for task in resources.get("tasks", []):
            task.cancel()
        for task in resources.get("tasks", []):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if relay := resources.get("relay"):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(relay.flush(), timeout=10)
        if producer := resources.get("producer"):
            await producer.stop()
        if pool := resources.get("pool"):
            await pool.close()
        log.info("service_stopped")

    return app


def run(app: FastStream) -> None:
    """Entry point for `python -m guichet_<service>`: runs until SIGTERM or SIGINT."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(app.run(log_level=logging.DEBUG))
