"""Intake as a process on the real broker and database: a record whose header NAME is not UTF-8 (kcat or a bare
producer can write one) is dead-lettered with that reason, and the claim after it on the same key is received.
Before, aiokafka's decoder raised on every fetch of that batch and the subscriber stopped on all its partitions."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from guichet_common.contracts import EXAMPLES
from guichet_common.kafka_record_decoding import RawHeaderName, writing_raw_header_names

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[4]
BAD_NAME = b"x-\xff\xfe"


async def test_a_non_utf8_header_name_is_dead_lettered_and_the_next_claim_on_its_key_is_received(
    intake_process, probe
) -> None:
    prefix, log_path = intake_process.prefix, intake_process.log_path
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
    assert received(statuses), (
        "the claim after the record with a non-UTF-8 header name was never received:\n"
        + (log_path.read_text(errors="replace")[-3000:])
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
