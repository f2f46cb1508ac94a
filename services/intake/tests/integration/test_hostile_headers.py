"""Intake as a process on the real broker and database: a non-JSON record whose header holds a NUL byte is
dead-lettered with its headers byte for byte, and the claim after it on the same key is received (issue 13, defect
3: the dead letter could not be written, and the partition was retried forever)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from guichet_common.contracts import EXAMPLES

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[4]
HOSTILE_HEADERS = [("traceparent", b"00-\x00\x00-01"), ("x-\x00name", b"\xff\xfe"), ("x-null", None)]


async def test_a_nul_header_is_dead_lettered_byte_exact_and_the_next_claim_on_its_key_is_received(
    intake_process, probe
) -> None:
    prefix = intake_process.prefix
    claim = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text(encoding="utf-8"))
    claim["event_id"] = str(uuid.uuid4())
    claim_id, key = claim["claim"]["claim_id"], claim["claim"]["applicant"]["siren"].encode()
    producer = AIOKafkaProducer(bootstrap_servers=probe.bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:  # like kcat or any client nobody here wrote
        await producer.send_and_wait(prefix + "claims.submitted.v1", b"not json\x00", key=key, headers=HOSTILE_HEADERS)
        await producer.send_and_wait(prefix + "claims.submitted.v1", json.dumps(claim).encode(), key=key)
    finally:
        await producer.stop()

    def received(records) -> list:
        return [r for r in records if r.key == claim_id.encode() and json.loads(r.value)["status"] == "received"]

    started = time.monotonic()
    statuses = await probe.read_until(prefix + "claims.status.v1", lambda rs: bool(received(rs)), timeout_s=90)
    assert received(statuses), "the claim after the hostile record was never received"
    [dead] = await probe.read_until(prefix + "claims.submitted.v1.dlq", lambda rs: bool(rs), timeout_s=10)
    assert (dead.key, dead.value) == (key, b"not json\x00")
    assert list(dead.headers)[: len(HOSTILE_HEADERS)] == HOSTILE_HEADERS
    assert dict(dead.headers)["dlq.reason"].startswith(b"value is not JSON")
    assert time.monotonic() - started < 90
