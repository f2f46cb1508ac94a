"""A stack of its own per run (topic prefix, databases, SMTP sink, service processes), for the failure suite and
the benchmark: a fault can kill, pause and restart its processes one by one, and nothing is shared with the demo's
stack or another run's.

Each service may run as several instances (one consumer group per subscription, shared by the instances; one
database shared too), and the stack may run on a broker other than the infrastructure's (a 3-node cluster from
guichet_deploy.kafka_cluster): `ScratchStack(infra, folder, kafka_bootstrap=cluster.bootstrap)`."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from guichet_common.kafka_admin import ensure_topics, wait_for_group_coordinator
from guichet_deploy.infra import Infra
from guichet_deploy.postgres import drop_databases, provision_databases
from guichet_deploy.procs import free_port

# The claims' path: the back-office reads it but is not on it, so the failure suite and the bench leave it out; the
# gateway is a door into it, which the HTTP bench (guichet_bench.gateway) starts beside a scratch stack itself.
PIPELINE = ("intake", "eligibility", "payments", "notifications")
SERVICES = PIPELINE


@dataclass
class ScratchStack:
    infra: Infra
    workdir: Path
    prefix: str = field(default_factory=lambda: f"scratch-{secrets.token_hex(3)}.")
    database_urls: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)  # per process name
    overrides: dict[str, str] = field(default_factory=dict)  # for every process, over the defaults below
    http_ports: dict[str, int] = field(default_factory=dict)  # per service process name
    keep_mail: bool = True  # False: the SMTP sink accepts and discards (the benchmark measures only our side)
    # Another broker or cluster than the infrastructure's; `infra.kafka_bootstrap` is then this one, so that every
    # reader of `stack.infra` (checker, bench) follows.
    kafka_bootstrap: str | None = None
    # Of the topics this stack creates; None: the broker count, at most 3 (1 on the single local broker).
    replication_factor: int | None = None
    instances: dict[str, list[str]] = field(default_factory=dict)  # service -> its process names

    def __post_init__(self) -> None:
        if self.kafka_bootstrap:
            self.infra = dataclasses.replace(self.infra, kafka_bootstrap=self.kafka_bootstrap)

    @property
    def maildir(self) -> Path:
        return self.workdir / "mail"

    @property
    def logs(self) -> Path:
        return self.workdir / "logs"

    def topic(self, name: str) -> str:
        return self.prefix + name

    async def start(self, payments_instances: int = 1, *, instances: int = 1) -> None:
        """Start the sink and `instances` processes of every service (payments: at least `payments_instances`).

        Process names: `payments-<i>` always; the other services keep their bare name when they run alone (what
        existing faults address) and become `<service>-<i>` with several instances."""
        self.logs.mkdir(parents=True, exist_ok=True)
        suffix = "_" + self.prefix.strip(".").replace("-", "_")
        self._suffix = suffix
        assert self.infra.pg_admin_dsn, "the failure suite creates its own databases: it needs an admin DSN"
        self.database_urls = await provision_databases(self.infra.pg_admin_dsn, SERVICES, suffix=suffix)
        # Created before the services start, with the replication the broker count allows (None: 3 on a cluster).
        # Both calls return only once every partition is served by its leader and groups have a coordinator: on a
        # fresh broker the services would otherwise start by logging NotLeaderForPartitionError or
        # GroupCoordinatorNotAvailableError at error level, which the bench and the failure suite count.
        await ensure_topics(
            self.infra.kafka_bootstrap, prefix=self.prefix, partitions=6, replication_factor=self.replication_factor
        )
        await wait_for_group_coordinator(self.infra.kafka_bootstrap)
        smtp_port = free_port()
        self.env = {
            **os.environ,
            **self.infra.service_env(),
            **{f"{name.upper()}_DATABASE_URL": url for name, url in self.database_urls.items()},
            "GUICHET_TOPIC_PREFIX": self.prefix,
            "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
            "NOTIFICATIONS_SMTP_PORT": str(smtp_port),
            "ELIGIBILITY_REGISTRY_GRACE_S": "2",
            "PAYMENTS_BATCH_MAX_AGE_S": "0.5",
            "PAYMENTS_FILES_DIR": str(self.workdir / "sepa"),
            "PAYMENTS_INBOUND_DIR": str(self.workdir / "bank-inbound"),
            "LOG_FORMAT": "json",
            "GUICHET_FAILPOINT_MARKER": str(self.workdir / "failpoint.fired"),
            **self.overrides,
        }
        storage = ["--maildir", str(self.maildir)] if self.keep_mail else ["--discard"]
        self._smtp_args = ["--port", str(smtp_port), *storage]
        self.launch("smtp")
        counts = {service: instances for service in SERVICES}
        counts["payments"] = max(instances, payments_instances)
        self.instances = {
            service: [f"{service}-{i}" for i in range(1, count + 1)]
            if count > 1 or service == "payments"
            else [service]
            for service, count in counts.items()
        }
        names = self.service_processes
        for name in names:
            self.http_ports[name] = free_port(avoid=set(self.http_ports.values()))
            self.launch(name)
        await self.until_ready(names)

    @property
    def service_processes(self) -> list[str]:
        """Every service process name (not the SMTP sink), in pipeline order."""
        return [name for service in SERVICES for name in self.instances.get(service, [])]

    async def until_ready(self, names: list[str], timeout_s: float = 90.0) -> None:
        """Until each named service answers /readyz (migrated, topics there, broker and database reachable)."""
        deadline = time.monotonic() + timeout_s
        waiting = list(names)
        while waiting:
            dead = [name for name, p in self.processes.items() if p.poll() is not None]
            assert not dead, f"exited at start: {dead}"
            assert time.monotonic() < deadline, f"not ready after {timeout_s} s: {waiting}"
            answers = await asyncio.gather(*(asyncio.to_thread(_is_ready, self.http_ports[n]) for n in waiting))
            waiting = [name for name, ready in zip(waiting, answers) if not ready]
            if waiting:
                await asyncio.sleep(0.3)

    def launch(self, name: str) -> None:
        module = "guichet_deploy.smtp_sink" if name == "smtp" else f"guichet_{name.split('-')[0]}"
        args = self._smtp_args if name == "smtp" else []
        service = name.split("-")[0]
        port = {f"{service.upper()}_HTTP_PORT": str(self.http_ports[name])} if name in self.http_ports else {}
        env = {**self.env, **port, **self.extra_env.get(name, {})}
        with (self.logs / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", module, *args], env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def kill(self, name: str) -> None:
        """kill -9: no shutdown hook, no flush, no commit."""
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def pause(self, name: str) -> None:
        self.processes[name].send_signal(signal.SIGSTOP)

    def resume(self, name: str) -> None:
        self.processes[name].send_signal(signal.SIGCONT)

    def alive(self) -> dict[str, bool]:
        return {name: p.poll() is None for name, p in self.processes.items()}

    async def stop(self) -> tuple[dict[str, int], float]:
        """SIGTERM everything (graceful shutdown); return each exit code and how long the slowest took."""
        started = time.monotonic()
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.send_signal(signal.SIGTERM)
        deadline = started + 30
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        await drop_databases(self.infra.pg_admin_dsn, SERVICES, suffix=self._suffix)
        return {name: p.returncode for name, p in self.processes.items()}, time.monotonic() - started

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))


def _is_ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False
