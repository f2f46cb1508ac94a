"""Intake alone as a process, for the tests that must go through the real broker's record decoding."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from guichet_common.kafka_admin import ensure_topics
from guichet_deploy.postgres import drop_databases, provision_databases
from guichet_deploy.procs import free_port, stop_children

ROOT = Path(__file__).resolve().parents[4]


@dataclass(frozen=True)
class IntakeProcess:
    prefix: str
    log_path: Path


@pytest.fixture
async def intake_process(infra, run_id: str, tmp_path: Path) -> AsyncIterator[IntakeProcess]:
    """Intake alone, on a topic prefix and database of its own."""
    async with _intake(infra, run_id, tmp_path, kafka_portals=()) as process:
        yield process


@pytest.fixture
async def intake_with_kafka_portals(infra, run_id: str, tmp_path: Path) -> AsyncIterator[IntakeProcess]:
    """Intake alone, with GUICHET_KAFKA_PORTALS=alpha,beta: each portal's door created and consumed."""
    async with _intake(infra, run_id, tmp_path, kafka_portals=("alpha", "beta")) as process:
        yield process


@asynccontextmanager
async def _intake(infra, run_id: str, tmp_path: Path, kafka_portals: tuple[str, ...]) -> AsyncIterator[IntakeProcess]:
    if infra.pg_admin_dsn is None:
        pytest.skip("needs the PostgreSQL admin DSN to make a throwaway database")
    label = f"ip{run_id}{os.urandom(2).hex()}"
    urls = await provision_databases(infra.pg_admin_dsn, ("intake",), suffix=f"_{label}")
    await ensure_topics(infra.kafka_bootstrap, prefix=f"{label}.", partitions=3, kafka_portals=kafka_portals)
    env = {
        **os.environ,
        **infra.service_env(),
        "INTAKE_DATABASE_URL": urls["intake"],
        "GUICHET_TOPIC_PREFIX": f"{label}.",
        "GUICHET_TOPIC_PARTITIONS": "3",
        "GUICHET_KAFKA_PORTALS": ",".join(kafka_portals),
        "INTAKE_HTTP_PORT": str(free_port()),
        "LOG_FORMAT": "json",
    }
    log_path = tmp_path / "intake.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: ASYNC220 (Popen returns at once; the service runs beside the test)
            [sys.executable, "-m", "guichet_intake"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
    try:
        yield IntakeProcess(f"{label}.", log_path)
    finally:
        stop_children([process])
        await drop_databases(infra.pg_admin_dsn, ("intake",), suffix=f"_{label}")
