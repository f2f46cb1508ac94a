"""Kafka, PostgreSQL and SMTP for the six services, from the first source that offers them:

1. addresses in the environment (KAFKA_BOOTSTRAP_SERVERS, <SERVICE>_DATABASE_URL, SMTP_HOST/SMTP_PORT);
2. a Docker engine that answers (testcontainers);
3. local processes started here (a KRaft broker from Maven jars, a private PostgreSQL, an SMTP sink).

GUICHET_INFRA=env|docker|local forces a source. Ports, pids and passwords are kept in <state>/state.json.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import structlog

from guichet_common.kafka_admin import ensure_topics
from guichet_deploy import docker_infra, kafka, local_stack, postgres
from guichet_deploy.procs import gather_all, redact
from guichet_deploy.state import load_state, locked, prepare_state_dir, save_state

# The pipeline in order, the portals' HTTP gateway (a door into it), then the back-office, which projects it (one
# database and one role each). An existing local stack gets the databases of services added since on its next
# start: `_provision` creates whatever role or database of SERVICES is missing.
SERVICES: tuple[str, ...] = ("intake", "eligibility", "payments", "notifications", "gateway", "backoffice")
SOURCE_ENV = "GUICHET_INFRA"

log = structlog.get_logger()


def privacy_master_key_file(state_dir: Path) -> Path:
    """This stack's privacy master key (guichet_common.privacy): 32 random bytes, base64, made once, mode 600. A
    real deployment mounts its own (or uses a KMS); the services warn when they fall back to the development key."""
    path = state_dir / "secrets" / "privacy-master.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(base64.b64encode(secrets.token_bytes(32)).decode())
    return path


@dataclass(frozen=True, repr=False)
class Infra:
    source: str  # "env" | "docker" | "local"
    kafka_bootstrap: str
    database_urls: dict[str, str]  # service name -> DSN
    pg_admin_dsn: str | None
    smtp_host: str
    smtp_port: int
    maildir: Path | None  # where the local sink files mail; None with an external SMTP server
    state_dir: Path

    def service_env(self) -> dict[str, str]:
        """The variables a service process needs to reach this infrastructure."""
        env = {"KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap}
        env |= {f"{name.upper()}_DATABASE_URL": url for name, url in self.database_urls.items()}
        env |= {"NOTIFICATIONS_SMTP_HOST": self.smtp_host, "NOTIFICATIONS_SMTP_PORT": str(self.smtp_port)}
        env["GUICHET_PRIVACY_MASTER_KEY_FILE"] = str(privacy_master_key_file(self.state_dir))
        return env

    def __repr__(self) -> str:  # DSNs carry passwords
        urls = {name: redact(url) for name, url in self.database_urls.items()}
        admin = redact(self.pg_admin_dsn) if self.pg_admin_dsn else None
        return (
            f"Infra(source={self.source!r}, kafka_bootstrap={self.kafka_bootstrap!r}, database_urls={urls!r}, "
            f"pg_admin_dsn={admin!r}, smtp_host={self.smtp_host!r}, smtp_port={self.smtp_port!r}, "
            f"maildir={self.maildir!r}, state_dir={self.state_dir!r})"
        )


def ensure_infra(state_dir: Path | None = None) -> Infra:
    """Bring up (or find already running) Kafka with the project's topics, PostgreSQL with one database per
    service, and SMTP. Idempotent; safe from several threads or processes at once; callable from a thread
    and even from inside a running event loop (the work then runs on a helper thread)."""
    folder = prepare_state_dir(state_dir)
    with locked(folder):
        return _run_sync(_ensure(folder))


def stop_infra(state_dir: Path | None = None, *, purge: bool = False, timeout_s: float = 30.0) -> None:
    """Stop what `ensure_infra` started here (SIGTERM, then SIGKILL after `timeout_s`); no-op if nothing runs.

    With `purge`, also delete the broker's and the database server's data, the Maildir and the state file.
    """
    folder = prepare_state_dir(state_dir)
    with locked(folder):
        state = load_state(folder)
        with ThreadPoolExecutor(2) as pool:
            stops = [
                pool.submit(local_stack.stop_local, folder, state, timeout_s),
                pool.submit(docker_infra.remove_containers, state.get("docker", {})),
            ]
            for stop in stops:
                stop.result()
        if purge:
            local_stack.purge_local(folder, state)
            (folder / "state.json").unlink(missing_ok=True)
        else:
            save_state(folder, state)


def _run_sync(coroutine: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _ensure(folder: Path) -> Infra:
    started = time.monotonic()
    state = load_state(folder)
    source = _choose_source(state)
    if source != "env":
        state["source"] = source
    try:
        smtp = _smtp_from_env()
        smtp_step = _noop() if smtp else local_stack.ensure_smtp_sink(folder, state.setdefault("smtp", {}))
        if source == "env":
            (kafka_bootstrap, admin_dsn, database_urls), maildir = await gather_all(
                _from_environment(state.setdefault("env", {})), smtp_step
            )
        else:
            section = state.setdefault(source, {})
            start = _from_docker(section) if source == "docker" else local_stack.start_local(folder, state)
            (kafka_bootstrap, admin_dsn), maildir = await gather_all(start, smtp_step)
            database_urls = await _provision(admin_dsn, SERVICES, section)
    finally:
        save_state(folder, state)
    await ensure_topics(
        kafka_bootstrap,
        prefix=os.environ.get("GUICHET_TOPIC_PREFIX", ""),
        partitions=int(os.environ.get("GUICHET_TOPIC_PARTITIONS", "6")),
    )
    smtp_host, smtp_port = smtp or ("127.0.0.1", state["smtp"]["port"])
    infra = Infra(
        source, kafka_bootstrap, database_urls, admin_dsn, smtp_host, smtp_port, None if smtp else maildir, folder
    )
    log.info(
        "infra_ready",
        source=source,
        kafka=kafka_bootstrap,
        smtp=f"{smtp_host}:{smtp_port}",
        seconds=round(time.monotonic() - started, 1),
    )
    return infra


async def _noop() -> None:
    return None


def _choose_source(state: dict[str, Any]) -> str:
    forced = os.environ.get(SOURCE_ENV, "auto")
    if forced in ("env", "docker", "local"):
        return forced
    if forced != "auto":
        raise ValueError(f"{SOURCE_ENV} must be auto, env, docker or local, not {forced!r}")
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return "env"
    if state.get("source") == "local":  # keep the data of a stack prepared earlier
        return "local"
    return "docker" if docker_infra.engine_answers() else "local"


def _smtp_from_env() -> tuple[str, int] | None:
    host = os.environ.get("SMTP_HOST")
    return (host, int(os.environ.get("SMTP_PORT", "25"))) if host else None


async def _from_environment(section: dict[str, Any]) -> tuple[str, str | None, dict[str, str]]:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        raise RuntimeError(f"{SOURCE_ENV}=env needs KAFKA_BOOTSTRAP_SERVERS")
    admin_dsn = os.environ.get("GUICHET_PG_ADMIN_DSN") or None
    urls = {name: os.environ[var] for name in SERVICES if os.environ.get(var := f"{name.upper()}_DATABASE_URL")}
    missing = [name for name in SERVICES if name not in urls]
    if missing and admin_dsn is None:
        names = ", ".join(f"{name.upper()}_DATABASE_URL" for name in missing)
        raise RuntimeError(
            f"KAFKA_BOOTSTRAP_SERVERS is set, so the infrastructure comes from the environment, "
            f"but {names} {'is' if len(missing) == 1 else 'are'} missing; set them, or GUICHET_PG_ADMIN_DSN to "
            "create the databases"
        )
    if missing:
        assert admin_dsn is not None
        urls |= await _provision(admin_dsn, missing, section)
    if not await kafka.metadata_answers(bootstrap, timeout_s=15):
        raise RuntimeError(f"Kafka at KAFKA_BOOTSTRAP_SERVERS={bootstrap} does not answer")
    return bootstrap, admin_dsn, urls


async def _from_docker(section: dict[str, Any]) -> tuple[str, str]:
    return await asyncio.to_thread(docker_infra.ensure_containers, section)


async def _provision(admin_dsn: str, services: Any, section: dict[str, Any]) -> dict[str, str]:
    """Create the service databases, keeping each role's recorded password so running services stay connected."""
    passwords = section.setdefault("service_passwords", {})
    urls = await postgres.provision_databases(admin_dsn, services, passwords=passwords)
    passwords.update({name: unquote(urlsplit(url).password or "") for name, url in urls.items()})
    return urls
