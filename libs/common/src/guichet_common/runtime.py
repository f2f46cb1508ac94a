"""Process wiring shared by every service: logging, pool, migrations, topics, relay, subscribers, shutdown.

A service's `app.py` calls `build_app` with a `wire` function that registers its handlers; everything
process-wide is created here, once, in the order that keeps shutdown safe: consumers stop first, then the
outbox is flushed, then the producer and the pool close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import structlog
import uvloop
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from faststream import FastStream
from faststream.kafka import KafkaBroker

from guichet_common.consumer import BatchHandler, BatchProcessor, subscribe_batches
from guichet_common.db import create_pool, run_migrations
from guichet_common.kafka_admin import ensure_topics
from guichet_common.logging import adopt_framework_loggers, configure_logging, mask_text
from guichet_common.relay import OutboxRelay, idempotent_producer
from guichet_common.settings import CommonSettings

COMMON_MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")
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
        await _until_reachable(
            "topics",
            lambda: ensure_topics(
                settings.kafka_bootstrap_servers, prefix=settings.topic_prefix, partitions=settings.topic_partitions
            ),
        )
        relay = OutboxRelay(
            pool, lambda: _until_reachable("producer", lambda: _started_producer(settings.kafka_bootstrap_servers))
        )
        wiring = Wiring(name=name, settings=settings, broker=broker, pool=pool)
        await wire(wiring)
        jobs = [("outbox-relay", relay.run), *((job.__name__, job) for job in wiring.background)]
        tasks = [asyncio.create_task(_supervised(name, job), name=name) for name, job in jobs]
        resources.update(pool=pool, relay=relay, tasks=tasks)
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
        if relay := resources.get("relay"):
            await relay.close()
        if pool := resources.get("pool"):
            await pool.close()
        log.info("service_stopped")

    return app


async def _started_producer(bootstrap_servers: str) -> AIOKafkaProducer:
    producer = idempotent_producer(bootstrap_servers)
    try:
        await producer.start()
    except BaseException:
        await producer.stop()
        raise
    return producer


async def _until_reachable(what: str, attempt: Callable[[], Awaitable[T]], timeout_s: float = 120.0) -> T:
    """Start-up steps that need the broker retry while it is restarting, instead of killing the service."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            return await attempt()
        except (KafkaError, OSError, TimeoutError) as error:
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.warning("startup_waiting_for_broker", step=what, error=str(error))
            await asyncio.sleep(1.0)


async def _supervised(name: str, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """A background job that fails is logged and started again: it must never die silently and leave, say,
    the outbox unpublished while the service looks alive."""
    while True:
        try:
            await job()
            return
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.error("background_job_failed", job=name, error=mask_text(repr(error)))
            await asyncio.sleep(1.0)


def run(create_app: Callable[[], FastStream], attempts: int = 5) -> None:
    """Entry point for `python -m guichet_<service>`: runs until SIGTERM or SIGINT.

    A broker that is restarting while the service starts makes the framework's own start fail; the service
    then starts again from scratch (nothing was consumed yet), a few times, before giving up.
    """
    for attempt in range(1, attempts + 1):
        try:
            with contextlib.suppress(KeyboardInterrupt):
                # uvloop: the event loop and its socket I/O in C; measured by `make bench` (see the README).
                uvloop.run(create_app().run(log_level=logging.DEBUG))
            return
        except (KafkaError, OSError) as error:
            if attempt == attempts:
                raise
            log.warning("service_start_retry", attempt=attempt, error=str(error))
            time.sleep(2.0)
