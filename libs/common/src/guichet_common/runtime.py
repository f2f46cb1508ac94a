"""Process wiring shared by every service: logging, pool, migrations, topics, relay, subscribers, shutdown.

A service's `app.py` calls `build_app` with a `wire` function that declares its handlers; everything
process-wide is created here, once, in the order that keeps shutdown safe: consumers stop first, then the
outbox is flushed, then the producer and the pool close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import operator
import signal
import ssl
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import structlog
import uvloop
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from faststream.asgi import AsgiFastStream
from faststream.asgi.types import ASGIApp, Receive, Scope, Send
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from pydantic import BaseModel

from guichet_common.background import repeating
from guichet_common.consumer import BatchProcessor, subscribe_batches
from guichet_common.db import PoolSlot, create_pool, run_migrations
from guichet_common.http import operational_routes
from guichet_common.inbox_pruning import InboxPruning
from guichet_common.kafka_admin import ensure_topics
from guichet_common.kafka_security import client_options, faststream_security
from guichet_common.logging import adopt_framework_loggers, configure_logging, mask_text
from guichet_common.metrics import ServiceMetrics
from guichet_common.pipeline import Decoder, Subscription, UseCase, contract
from guichet_common.relay import OutboxRelay, idempotent_producer
from guichet_common.sampling import FigureReaders, GaugeSampler
from guichet_common.settings import CommonSettings
from guichet_common.topics import REPLAY_SUFFIX, consumer_group
from guichet_common.unit_of_work import PostgresUnitOfWork

COMMON_MIGRATIONS = Path(__file__).parent / "migrations"
DEAD_LETTERS_DESCRIPTION = (
    "Records of the topic this service could not process, unchanged (values cut at 256 KiB), with headers dlq.reason,"
    " dlq.original.topic, dlq.original.partition, dlq.original.offset and dlq.attempts; `guichet dlq` works them"
)
REPLAYS_DESCRIPTION = (
    "Dead letters an operator replayed (`guichet dlq replay`), unchanged but for their dlq.* headers and a replay.of"
    " header; published by this service's outbox and consumed by the same handler as the original topic"
)
SPEC_VERSION = "1.0.0"  # of the services' AsyncAPI documents: the contracts' v1
T = TypeVar("T")
M = TypeVar("M")
E = TypeVar("E", bound=BaseModel)
log = structlog.get_logger()


@dataclass
class Wiring:
    """What a service's `wire` function receives when the app is built: ways to declare its subscribers,
    publications, start-up steps, background jobs and figures. Nothing here touches the network or the database
    before the app starts; the pool slot is filled then."""

    name: str
    settings: CommonSettings
    broker: KafkaBroker
    pool: PoolSlot
    background: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    at_start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)  # consumer group -> prefixed topic
    payloads: dict[str, type[BaseModel]] = field(default_factory=dict)  # prefixed topic -> what it carries
    figures: FigureReaders = field(default_factory=FigureReaders)
    # How each unit of work is made: a service sets its own (with its repositories) before subscribing.
    unit_of_work: Callable[[asyncpg.Connection], PostgresUnitOfWork] = PostgresUnitOfWork
    use_cases: dict[str, Callable[..., Any]] = field(default_factory=dict)  # prefixed topic -> its handler

    def subscribe(
        self,
        topic: str,
        payload: type[E],
        use_case: UseCase[Any, M],
        *,
        decode: Decoder[M] | None = None,
        event_id: Callable[[M], UUID] | None = operator.attrgetter("event_id"),
        description: str | None = None,
        set_aside_kind: str | None = None,
    ) -> None:
        """Consume `topic` (contract name, prefix added here) in batches, one unit of work per batch: records are
        decoded as `payload` (or by `decode`), new events (by `event_id`, default their `event_id` field; None for
        no inbox) go to `use_case`, and what it returns is published. `payload` also documents the topic.

        The service owns `topic` unless `set_aside_kind` is given: an owner writes the topic's dead letters and
        consumes its replays; a mere reader (the back-office's read model) neither, and sets aside under
        `set_aside_kind` (in its own database, keyed by the record's coordinates) what it cannot use."""
        prefixed = self.settings.topic(topic)
        group = consumer_group(self.name, prefixed)
        subscription: Subscription[Any, Any] = Subscription(
            use_case=use_case, decode=decode or contract(payload), event_id=event_id, set_aside_kind=set_aside_kind
        )
        owner = set_aside_kind is None
        subscribe_batches(
            self.broker,
            prefixed,
            group_id=group,
            processor=BatchProcessor(self.pool, subscription, self.unit_of_work),
            max_records=self.settings.consumer_max_records,
            title=f"{prefixed}:Subscriber",
            description=description,
            replays=owner,
        )
        self.groups[group] = prefixed
        self.payloads[prefixed] = payload
        self.use_cases[prefixed] = use_case
        if owner:
            self.broker.publisher(prefixed + ".dlq", schema=payload, description=DEAD_LETTERS_DESCRIPTION)
            self.broker.publisher(prefixed + REPLAY_SUFFIX, schema=payload, description=REPLAYS_DESCRIPTION)

    def repeat(self, name: str, job: Callable[[Any], Awaitable[int]], *, pause_s: float) -> None:
        """Run `job(uow)` in the background, one committed unit of work a turn: again at once while it reports
        work done, after `pause_s` when it reports none or the database is away."""
        self.background.append(repeating(name, self.pool, self.unit_of_work, job, pause_s=pause_s))

    def publishes(self, topic: str, payload: type[BaseModel], description: str) -> None:
        """Declare a topic this service writes (through its outbox), for the AsyncAPI document."""
        self.broker.publisher(self.settings.topic(topic), schema=payload, description=description)

    def run_at_start(self, step: Callable[[], Awaitable[None]]) -> None:
        """Run `step` once the database is ready, before any message is consumed."""
        self.at_start.append(step)

    def run_in_background(self, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.background.append(job)


class ServiceApp(AsgiFastStream):
    """FastStream's ASGI app, which answers its own routes by exact path only, plus an optional web app (a
    service's pages) that gets every other HTTP request. The lifespan stays FastStream's: the web app's own
    lifespan never runs, so it keeps its process-wide resources on the wiring (the pool), not in a lifespan."""

    web: ASGIApp | None = None

    async def not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.web is not None and scope["type"] in ("http", "websocket"):
            await self.web(scope, receive, send)
            return
        await super().not_found(scope, receive, send)


def make_broker(settings: CommonSettings, metrics: ServiceMetrics | None = None) -> KafkaBroker:
    return KafkaBroker(
        # A list: FastStream takes a string as ONE address, and "a:9092,b:9092" is not a host name.
        [address.strip() for address in settings.kafka_bootstrap_servers.split(",") if address.strip()],
        enable_idempotence=True,
        acks="all",
        logger=logging.getLogger("faststream"),
        # One line per message would drown the logs at thousands of claims per second.
        log_level=logging.DEBUG,
        graceful_timeout=15.0,
        middlewares=[metrics.middleware] if metrics else (),
        security=faststream_security(settings),
        # Topics are made on purpose (ensure_topics, or the platform) before any subscriber starts. FastStream's own
        # attempt would use the broker's default partitions, and under ACLs it is refused with a warning per topic.
        allow_auto_create_topics=False,
    )


def build_app(
    *,
    name: str,
    settings: CommonSettings,
    migrations: Path,
    wire: Callable[[Wiring], None],
    description: str = "",
    web: Callable[[Wiring], ASGIApp] | None = None,
) -> AsgiFastStream:
    """The service's app: its subscribers (declared now, so the AsyncAPI document lists them), and on start the
    pool, migrations, topics, outbox relay, gauges and background jobs; it serves /healthz, /readyz, /metrics and
    /docs/asyncapi, and every other HTTP path with `web(wiring)` when given (made once the handlers are wired)."""
    configure_logging(settings.log_level, settings.log_format, service=name)
    metrics = ServiceMetrics(name)
    broker = make_broker(settings, metrics)
    wiring = Wiring(name=name, settings=settings, broker=broker, pool=PoolSlot())
    kafka_options = client_options(settings)  # the service's own principal, for the clients it opens itself
    wire(wiring)
    app = ServiceApp(
        broker,
        asgi_routes=operational_routes(broker, wiring.pool, metrics),
        logger=logging.getLogger("faststream"),
        specification=AsyncAPI(broker, title=f"guichet-{name}", version=SPEC_VERSION, description=description),
        asyncapi_path="/docs/asyncapi",
    )
    app.wiring = wiring  # type: ignore[attr-defined]  # for the AsyncAPI document's payloads
    if web is not None:
        app.web = web(wiring)
    resources: dict[str, Any] = {}

    @app.on_startup
    async def start() -> None:
        pool = await create_pool(settings.database_url, size=settings.database_pool_size)
        await run_migrations(pool, COMMON_MIGRATIONS)
        await run_migrations(pool, migrations)
        wiring.pool.fill(pool)
        await _until_reachable(
            "topics",
            lambda: ensure_topics(
                settings.kafka_bootstrap_servers,
                prefix=settings.topic_prefix,
                partitions=settings.topic_partitions,
                client_options=kafka_options,
                kafka_portals=settings.kafka_portals,
            ),
        )
        for step in wiring.at_start:
            await step()
        relay = OutboxRelay(
            pool,
            lambda: _until_reachable(
                "producer", lambda: _started_producer(settings.kafka_bootstrap_servers, kafka_options)
            ),
            on_published=metrics.count_published,
        )
        sampler = GaugeSampler(
            metrics,
            wiring.pool,
            settings.kafka_bootstrap_servers,
            wiring.groups,
            wiring.figures,
            settings.gauges_every_s,
            client_options=kafka_options,
        )
        if settings.uses_development_master_key:
            log.warning("privacy_master_key_is_the_development_one", hint="set GUICHET_PRIVACY_MASTER_KEY(_FILE)")
        pruning = InboxPruning(pool, settings.clock(), settings.inbox_keep_days, settings.privacy_sweep_every_s)
        jobs = [
            ("outbox-relay", relay.run),
            ("gauges", sampler.run),
            ("inbox-pruning", pruning.run),
            *((j.__name__, j) for j in wiring.background),
        ]
        tasks = [asyncio.create_task(_supervised(name, job), name=name) for name, job in jobs]
        resources.update(pool=pool, relay=relay, tasks=tasks)
        adopt_framework_loggers()
        log.info("service_started", topic_prefix=settings.topic_prefix, http_port=settings.http_port)

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


async def _started_producer(bootstrap_servers: str, client_options: Mapping[str, Any]) -> AIOKafkaProducer:
    producer = idempotent_producer(bootstrap_servers, client_options=client_options)
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


def tls_options(settings: CommonSettings) -> dict[str, Any]:
    """uvicorn's TLS options for a service whose settings name a certificate (`tls_certfile`, `tls_keyfile`): it
    serves https; with `tls_client_ca_file` too, only clients with a certificate from that CA finish the handshake
    (mTLS). Services without these settings serve plain http, as before."""
    certfile = getattr(settings, "tls_certfile", None)
    if certfile is None:
        return {}
    options: dict[str, Any] = {"ssl_certfile": str(certfile)}
    if (keyfile := getattr(settings, "tls_keyfile", None)) is not None:
        options["ssl_keyfile"] = str(keyfile)
    if (client_ca := getattr(settings, "tls_client_ca_file", None)) is not None:
        options.update(ssl_ca_certs=str(client_ca), ssl_cert_reqs=ssl.CERT_REQUIRED)
    return options


def run(create_app: Callable[[], AsgiFastStream], attempts: int = 5) -> None:
    """Entry point for `python -m guichet_<service>`: runs until SIGTERM or SIGINT.

    A broker that is restarting while the service starts makes the framework's own start fail; the service
    then starts again from scratch (nothing was consumed yet), a few times, before giving up.
    """
    # uvicorn handles SIGTERM (graceful shutdown), then raises it again for the previous handler; the shutdown is
    # done by then, so that second delivery must not kill the process: a clean stop exits 0.
    signal.signal(signal.SIGTERM, lambda *_: None)
    for attempt in range(1, attempts + 1):
        try:
            with contextlib.suppress(KeyboardInterrupt):
                app = create_app()
                settings = app.wiring.settings  # type: ignore[attr-defined]
                # log_config None: uvicorn must not replace the service's logging set-up (structlog, PII masking).
                http = {
                    "host": settings.http_host,
                    "port": settings.http_port,
                    "access_log": "false",
                    "log_config": None,
                }
                http.update(tls_options(settings))
                # uvloop: the event loop and its socket I/O in C; measured by `make bench` (see the README).
                uvloop.run(app.run(log_level=logging.WARNING, run_extra_options=http))
            return
        except (KafkaError, OSError) as error:
            if attempt == attempts:
                raise
            log.warning("service_start_retry", attempt=attempt, error=str(error))
            time.sleep(2.0)
