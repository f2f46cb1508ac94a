"""Intake as a process on the real broker and database: a non-JSON record whose header holds a NUL byte is
dead-lettered with its headers byte for byte, and the claim after it on the same key is received (issue 13, defect
3: the dead letter could not be written, and the partition was retried forever)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from guichet_common.contracts import EXAMPLES
from guichet_common.kafka_admin import ensure_topics
from guichet_deploy.postgres import drop_databases, provision_databases
from guichet_deploy.procs import free_port, stop_children

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[4]
HOSTILE_HEADERS = [("traceparent", b"00-\x00\x00-01"), ("x-\x00name", b"\xff\xfe"), ("x-null", None)]


@pytest.fixture
async def intake(infra, run_id: str, tmp_path: Path) -> AsyncIterator[str]:
    """Intake alone, on a topic prefix and database of its own; yields the prefix."""
    if infra.pg_admin_dsn is None:
        pytest.skip("needs the PostgreSQL admin DSN to make a throwaway database")
    label = f"hh{run_id}"
    urls = await provision_databases(infra.pg_admin_dsn, ("intake",), suffix=f"_{label}")
    await ensure_topics(infra.kafka_bootstrap, prefix=f"{label}.", partitions=3)
    env = {
        **os.environ,
        **infra.service_env(),
        "INTAKE_DATABASE_URL": urls["intake"],
        "GUICHET_TOPIC_PREFIX": f"{label}.",
        "GUICHET_TOPIC_PARTITIONS": "3",
        "INTAKE_HTTP_PORT": str(free_port()),
        "LOG_FORMAT": "json",
    }
    with (tmp_path / "intake.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "guichet_intake"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
    try:
        yield f"{label}."
    finally:
        stop_children([process])
        await drop_databases(infra.pg_admin_dsn, ("intake",), suffix=f"_{label}")


async def test_a_nul_header_is_dead_lettered_byte_exact_and_the_next_claim_on_its_key_is_received(
    intake: str, probe
) -> None:
    claim = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text(encoding="utf-8"))
    claim["event_id"] = str(uuid.uuid4())
    claim_id, key = claim["claim"]["claim_id"], claim["claim"]["applicant"]["siren"].encode()
    producer = AIOKafkaProducer(bootstrap_servers=probe.bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:  # like kcat or any client nobody here wrote
        await producer.send_and_wait(intake + "claims.submitted.v1", b"not json\x00", key=key, headers=HOSTILE_HEADERS)
        await producer.send_and_wait(intake + "claims.submitted.v1", json.dumps(claim).encode(), key=key)
    finally:
        await producer.stop()

    def received(records) -> list:
        return [r for r in records if r.key == claim_id.encode() and json.loads(r.value)["status"] == "received"]

    started = time.monotonic()
    statuses = await probe.read_until(intake + "claims.status.v1", lambda rs: bool(received(rs)), timeout_s=90)
    assert received(statuses), "the claim after the hostile record was never received"
    [dead] = await probe.read_until(intake + "claims.submitted.v1.dlq", lambda rs: bool(rs), timeout_s=10)
    assert (dead.key, dead.value) == (key, b"not json\x00")
    assert list(dead.headers)[: len(HOSTILE_HEADERS)] == HOSTILE_HEADERS
    assert dict(dead.headers)["dlq.reason"].startswith(b"value is not JSON")
    assert time.monotonic() - started < 90
