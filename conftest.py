"""Fixtures shared by every test tier: real infrastructure (Kafka, PostgreSQL, SMTP), throwaway databases and
topic prefixes so a test run never touches the demo's data, and the four services run as real processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from guichet_common.db import create_pool, run_migrations
from guichet_common.kafka_admin import ensure_topics
from guichet_common.runtime import COMMON_MIGRATIONS
from guichet_deploy.procs import free_port, stop_children

ROOT = Path(__file__).resolve().parent
SERVICES = ("intake", "eligibility", "payments", "notifications", "gateway", "backoffice")


@pytest.fixture(scope="session")
def infra():
    """Kafka, PostgreSQL and SMTP from the environment, Docker, or local processes (in that order)."""
    from guichet_deploy.infra import ensure_infra, stop_infra

    started = ensure_infra()
    yield started
    # On CI nothing must outlive the run; a developer keeps the stack warm (`make down` stops it).
    if os.environ.get("CI") and started.source == "local":
        stop_infra(started.state_dir)


@pytest.fixture(scope="session")
def run_id() -> str:
    return secrets.token_hex(3)


@pytest.fixture(scope="session")
def kafka_bootstrap(infra) -> str:
    return infra.kafka_bootstrap


@pytest.fixture(scope="session")
async def topic_prefix(infra, run_id: str) -> str:
    """A prefix of this run's own: the same topics as production, none of their data."""
    prefix = f"test-{run_id}."
    await ensure_topics(infra.kafka_bootstrap, prefix=prefix, partitions=3)
    return prefix


async def _throwaway_databases(infra, suffix: str) -> dict[str, str]:
    from guichet_deploy.postgres import provision_databases

    if infra.pg_admin_dsn is None:
        return dict(infra.database_urls)
    return await provision_databases(infra.pg_admin_dsn, SERVICES, suffix=suffix)


async def _drop_databases(infra, suffix: str) -> None:
    from guichet_deploy.postgres import drop_databases

    if infra.pg_admin_dsn is not None:
        await drop_databases(infra.pg_admin_dsn, SERVICES, suffix=suffix)


@pytest.fixture(scope="session")
async def database_urls(infra, run_id: str) -> AsyncIterator[dict[str, str]]:
    """One fresh database per service for integration tests, dropped at the end of the run."""
    suffix = f"_it{run_id}"
    urls = await _throwaway_databases(infra, suffix)
    yield urls
    await _drop_databases(infra, suffix)


async def migrated_pool(url: str, service: str) -> asyncpg.Pool:
    pool = await create_pool(url, size=4)
    await run_migrations(pool, COMMON_MIGRATIONS)
    await run_migrations(pool, ROOT / "services" / service / "migrations")
    return pool


async def empty_tables(pool: asyncpg.Pool) -> None:
    tables = await pool.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'"
    )
    if tables:
        await pool.execute("TRUNCATE " + ", ".join(f'"{t["tablename"]}"' for t in tables) + " CASCADE")


def service_pool_fixture(service: str):
    """A fixture giving `service`'s migrated database, emptied before each test."""

    @pytest.fixture
    async def pool(database_urls: dict[str, str]) -> AsyncIterator[asyncpg.Pool]:
        created = await migrated_pool(database_urls[service], service)
        await empty_tables(created)
        yield created
        await created.close()

    return pool


intake_pool = service_pool_fixture("intake")
eligibility_pool = service_pool_fixture("eligibility")
payments_pool = service_pool_fixture("payments")
notifications_pool = service_pool_fixture("notifications")


@dataclass
class RunningStack:
    env: dict[str, str]
    topic_prefix: str
    database_urls: dict[str, str]
    maildir: Path
    logs: Path
    processes: dict[str, subprocess.Popen]

    def topic(self, name: str) -> str:
        return self.topic_prefix + name

    def console(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """`guichet ARGS` against this stack, as an operator runs it (a process of its own, this stack's env)."""
        return subprocess.run(
            [sys.executable, "-m", "guichet_console", *args],
            env=self.env if env is None else env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def http(self, service: str) -> str:
        """The service's base URL for /healthz, /readyz and /metrics."""
        return f"http://127.0.0.1:{self.env[f'{service.upper()}_HTTP_PORT']}"

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))

    async def restart(self, extra_env: dict[str, str], services: tuple[str, ...] = SERVICES) -> None:
        """Stop `services` (gracefully; the SMTP sink keeps running), then start them again on the same databases,
        topics and ports with `extra_env` added to the stack's environment: the same deployment started later,
        say with its clock moved (GUICHET_CLOCK_OFFSET_DAYS)."""
        stop_children([self.processes[name] for name in services])
        self.env = {**self.env, **extra_env}
        for name in services:
            self.processes[name] = _spawn(f"guichet_{name}", self.env, self.logs / f"{name}.log")
        await asyncio.sleep(1.0)
        dead = [name for name in services if self.processes[name].poll() is not None]
        assert not dead, f"processes exited at restart: {dead}\n{self.log_text()[-4000:]}"

    async def until_ready(self, service: str, timeout_s: float = 180.0) -> str:
        """The service's base URL once its /readyz answers 200: its schema is made and its consumers run (the
        back-office's accounts table, say, exists only then)."""
        import httpx

        url = self.http(service)
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.processes[service].poll() is not None:
                    raise AssertionError(f"{service} exited:\n{self.log_text()[-4000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(url + "/readyz")).status_code == 200:
                        return url
                await asyncio.sleep(0.3)
        raise AssertionError(f"{service} never became ready at {url}")


def _spawn(module: str, env: dict[str, str], log_path: Path, *args: str) -> subprocess.Popen:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", module, *args], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )


@pytest.fixture(scope="session")
async def stack(infra, run_id: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningStack]:
    """The six services as real processes on real Kafka, PostgreSQL and an SMTP sink of this run's own."""
    async with running_stack(infra, f"e2e{run_id}", tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture
def private_stack(infra) -> Callable[[str, Path], contextlib.AbstractAsyncContextManager[RunningStack]]:
    """`async with private_stack(label, folder) as stack:` a stack of the test's own (see running_stack)."""
    return lambda label, base: running_stack(infra, label, base)


@contextlib.asynccontextmanager
async def running_stack(infra, label: str, base: Path) -> AsyncIterator[RunningStack]:
    """A stack of its own (topic prefix `<label>.`, databases `*_<label>`) for tests whose figures must add up
    to exactly what they published; `stack` is the session's shared one."""
    prefix = f"{label}."
    suffix = f"_{label}"
    urls = await _throwaway_databases(infra, suffix)
    await ensure_topics(infra.kafka_bootstrap, prefix=prefix, partitions=3)
    maildir, logs = base / "mail", base / "logs"
    logs.mkdir()
    smtp_port = free_port()
    env = {
        **os.environ,
        **infra.service_env(),
        **{f"{name.upper()}_DATABASE_URL": url for name, url in urls.items()},
        "GUICHET_TOPIC_PREFIX": prefix,
        "GUICHET_TOPIC_PARTITIONS": "3",
        "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
        "NOTIFICATIONS_SMTP_PORT": str(smtp_port),
        "LOG_FORMAT": "json",
        # A claim and its registry record travel on two topics, each with its own consumer: on a loaded CI machine
        # the record's consumer can lag the claim's by seconds, and a 2 s grace then sent a claim with a registry
        # record to review. 5 s keeps the tests that wait for REGISTRY_NO_RECORD short.
        "ELIGIBILITY_REGISTRY_GRACE_S": "5",
        "PAYMENTS_BATCH_MAX_AGE_S": "0.5",
        "PAYMENTS_FILES_DIR": str(base / "sepa"),
        "PAYMENTS_INBOUND_DIR": str(base / "bank-inbound"),
        **{f"{name.upper()}_HTTP_PORT": str(free_port()) for name in SERVICES},
        "GUICHET_GAUGES_EVERY_S": "1",
        # The tests' webhook receivers listen on 127.0.0.1 over plain http.
        "GATEWAY_WEBHOOK_ALLOW_HTTP_LOOPBACK": "true",
        # Webhook retries within seconds, not hours: a receiver's outage of a few seconds then stands for one of
        # hours (tests/e2e/test_gateway_webhooks.py), each waiting delivery being retried many times over.
        "GATEWAY_WEBHOOK_RETRY_BASE_S": "0.25",
        "GATEWAY_WEBHOOK_RETRY_MAX_S": "2",
        "GATEWAY_WEBHOOK_PAUSE_S": "0.2",
    }
    processes = {
        "smtp": _spawn(
            "guichet_deploy.smtp_sink", env, logs / "smtp.log", "--port", str(smtp_port), "--maildir", str(maildir)
        )
    }
    processes |= {name: _spawn(f"guichet_{name}", env, logs / f"{name}.log") for name in SERVICES}
    running = RunningStack(env, prefix, urls, maildir, logs, processes)
    try:
        await asyncio.sleep(1.0)
        dead = [name for name, p in processes.items() if p.poll() is not None]
        assert not dead, f"processes exited at start: {dead}\n{running.log_text()[-4000:]}"
        yield running
    finally:
        stop_children(processes.values())
        await _drop_databases(infra, suffix)


class KafkaProbe:
    """What a portal or finance sees: publish raw bytes, read a topic from its beginning."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap

    async def publish(self, topic: str, values: list[tuple[bytes | None, bytes | None]]) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            for key, value in values:
                await producer.send_and_wait(topic, value=value, key=key)
        finally:
            await producer.stop()

    async def read_until(
        self, topic: str, done: Callable[[list[ConsumerRecord]], bool], timeout_s: float = 60.0
    ) -> list[ConsumerRecord]:
        """Every record of `topic` from the beginning, until `done(records)` or the timeout (then returns)."""
        # No group: every partition, from the earliest offset, nothing committed.
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=self.bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        await consumer.start()
        records: list[ConsumerRecord] = []
        try:
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and not done(records):
                batch = await consumer.getmany(timeout_ms=200)
                records += [r for rs in batch.values() for r in rs]
            return records
        finally:
            await consumer.stop()


@pytest.fixture(scope="session")
def probe(infra) -> KafkaProbe:
    return KafkaProbe(infra.kafka_bootstrap)


@dataclass
class PaymentsPair:
    topic_prefix: str
    database_url: str
    processes: list[subprocess.Popen]
    logs: Path

    def topic(self, name: str) -> str:
        return self.topic_prefix + name


async def _until_both_share(topic: str, logs: list[Path], timeout_s: float = 60.0) -> None:
    """Wait until the group has split `topic` between the instances: each log's latest assignment holds some
    partitions of it, but not all of them."""
    pattern = f"TopicPartition(topic='{topic}'"

    def latest_share(log: Path) -> int:
        lines = [line for line in log.read_text(errors="replace").splitlines() if "assigned to partitions" in line]
        mine = [line for line in lines if pattern in line]
        return mine[-1].count(pattern) if mine else 0

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        shares = [latest_share(log) for log in logs if log.exists()]
        if len(shares) == 2 and all(0 < share < 6 for share in shares):
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"the two instances never shared {topic}")


@pytest.fixture(scope="session")
async def payments_pair(infra, run_id: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PaymentsPair]:
    """Two payments processes sharing one database and one consumer group, on a programme whose envelope holds
    five grants and whose returned payments expire after about nine seconds."""
    from guichet_programme import load_programme

    prefix, suffix = f"pay2-{run_id}.", f"_pay2{run_id}"
    urls = await _throwaway_databases(infra, suffix)
    await ensure_topics(infra.kafka_bootstrap, prefix=prefix, partitions=6)
    base = tmp_path_factory.mktemp("payments-pair")
    programmes, logs = base / "programmes", base / "logs"
    programmes.mkdir()
    logs.mkdir()
    source = (ROOT / "programmes" / "cheque-france-num-2021.toml").read_text(encoding="utf-8")
    tiny = source.replace("total_cents = 6_000_000_000", "total_cents = 250_000").replace(
        "return_expiry_days = 60", "return_expiry_days = 0.0001"
    )
    (programmes / "tiny.toml").write_text(tiny, encoding="utf-8")
    assert load_programme(programmes / "tiny.toml").budget.total_cents == 250_000
    env = {
        **os.environ,
        **infra.service_env(),
        "PAYMENTS_DATABASE_URL": urls["payments"],
        "GUICHET_TOPIC_PREFIX": prefix,
        "GUICHET_PROGRAMMES_DIR": str(programmes),
        "PAYMENTS_FILES_DIR": str(base / "sepa"),
        "PAYMENTS_INBOUND_DIR": str(base / "bank-inbound"),
        "PAYMENTS_BATCH_MAX_AGE_S": "0.5",
        "PAYMENTS_EXPIRY_SWEEP_S": "1",
        "LOG_FORMAT": "json",
    }
    processes = [_spawn("guichet_payments", env, logs / f"payments-{i}.log") for i in (1, 2)]
    try:
        await _until_both_share(prefix + "eligibility.decisions.v1", sorted(logs.glob("payments-*.log")))
        assert all(p.poll() is None for p in processes), "a payments instance exited at start"
        yield PaymentsPair(prefix, urls["payments"], processes, logs)
    finally:
        stop_children(processes)
        await _drop_databases(infra, suffix)
