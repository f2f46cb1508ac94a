"""Intake as a process on the real broker and database: a record whose header NAME is not UTF-8 (kcat or a bare
producer can write one) is dead-lettered with that reason, and the claim after it on the same key is received.
Before, aiokafka's decoder raised on every fetch of that batch and the subscriber stopped on all its partitions."""

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
from guichet_common.kafka_record_decoding import RawHeaderName, writing_raw_header_names
from guichet_deploy.postgres import drop_databases, provision_databases
from guichet_deploy.procs import free_port, stop_children

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[4]
BAD_NAME = b"x-\xff\xfe"


@pytest.fixture
async def intake(infra, run_id: str, tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    """Intake alone, on a topic prefix and database of its own; yields the prefix and its log file."""
    if infra.pg_admin_dsn is None:
        pytest.skip("needs the PostgreSQL admin DSN to make a throwaway database")
    label = f"hn{run_id}"
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
    log_path = tmp_path / "intake.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "guichet_intake"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
    try:
        yield f"{label}.", log_path
    finally:
        stop_children([process])
        await drop_databases(infra.pg_admin_dsn, ("intake",), suffix=f"_{label}")


async def test_a_non_utf8_header_name_is_dead_lettered_and_the_next_claim_on_its_key_is_received(
    intake: tuple[str, Path], probe
) -> None:
    prefix, log_path = intake
    claim = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text(encoding="utf-8"))
    claim["event_id"] = str(uuid.uuid4())
    claim_id, key = claim["claim"]["claim_id"], claim["claim"]["applicant"]["siren"].encode()
    # A valid claim of its own on the same key: only its header name is wrong.
    hostile = json.loads(json.dumps(claim))
    hostile["event_id"], hostile["claim"]["claim_id"] = str(uuid.uuid4()), "CFN-2021-0000124"
    with writing_raw_header_names():  # like kcat, which writes header names as raw bytes
        producer = AIOKafkaProducer(bootstrap_servers=probe.bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            topic = prefix + "claims.submitted.v1"
            headers = [("traceparent", b"00-01"), (RawHeaderName(BAD_NAME), b"v")]
            await producer.send_and_wait(topic, json.dumps(hostile).encode(), key=key, headers=headers)
            await producer.send_and_wait(topic, json.dumps(claim).encode(), key=key)
        finally:
            await producer.stop()

    def received(records) -> list:
        return [r for r in records if r.key == claim_id.encode() and json.loads(r.value)["status"] == "received"]

    def about_hostile(records) -> list:
        return [r for r in records if r.key == b"CFN-2021-0000124"]

    started = time.monotonic()
    statuses = await probe.read_until(prefix + "claims.status.v1", lambda rs: bool(received(rs)), timeout_s=60)
    assert received(statuses), "the claim after the record with a non-UTF-8 header name was never received:\n" + (
        log_path.read_text(errors="replace")[-3000:]
    )
    assert not about_hostile(statuses), "the record with a non-UTF-8 header name must not be handled"
    [dead] = await probe.read_until(prefix + "claims.submitted.v1.dlq", lambda rs: bool(rs), timeout_s=10)
    assert (dead.key, dead.value) == (key, json.dumps(hostile).encode())
    headers = list(dead.headers)
    reason = dict(headers)["dlq.reason"]
    assert reason.startswith(b"header name is not UTF-8: x-\\xff\\xfe"), reason
    # The name cannot be published as it was; it is kept with its invalid bytes written out, and counted.
    assert headers[:2] == [("traceparent", b"00-01"), ("x-\\xff\\xfe", b"v")]
    assert dict(headers)["dlq.headers.renamed"] == b"1"
    assert time.monotonic() - started < 60
