"""Dead-lettering cannot fail (real PostgreSQL and Kafka): whatever bytes a record holds, its dead letter is written
and published with its key, value and headers byte for byte; and if the full dead letter ever cannot be written,
one with the raw key and value alone is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from guichet_common import consumer
from guichet_common.consumer import BatchProcessor
from guichet_common.outbox import OutboxMessage
from guichet_common.pipeline import Subscription
from guichet_common.records import MAX_DEAD_LETTER_BYTES, InboundRecord, read_json_object
from guichet_common.relay import OutboxRelay, idempotent_producer
from guichet_common.unit_of_work import PostgresUnitOfWork

pytestmark = pytest.mark.integration
FIRST_OFFSET = 700_001  # coordinates no other test of the run gives its records

HOSTILE: dict[str, tuple[bytes | None, bytes, tuple[tuple[str, bytes | None], ...]]] = {
    "nul in a header value": (b"642515712", b"not json", (("traceparent", b"00-\x00-01"),)),
    "nul in a header name": (b"k", b"not json", (("x-\x00-name", b"v"),)),
    "nul in the payload": (b"k", b'{"claim": "\x00"', ()),
    "invalid utf-8 everywhere": (b"\xff\xfe", b"\xc3\x28\xa0\xa1", (("x-bytes", b"\xff\x00\xfe"),)),
    "null and empty header values": (None, b"\x00", (("x-null", None), ("x-empty", b""), ("x-null", None))),
    "a 1 MB value": (b"k", b"\x00" + b"a" * 999_000, (("\u2028bidi\u202e", "é".encode()),)),
}


def _records(topic: str) -> list[InboundRecord]:
    return [
        InboundRecord(topic, 0, offset, key, value, headers)
        for offset, (key, value, headers) in enumerate(HOSTILE.values(), start=FIRST_OFFSET)
    ]


async def _nothing(uow: PostgresUnitOfWork, payloads: Sequence[dict[str, Any]]) -> list[OutboxMessage]:
    return []


# What every subscription does with a value it cannot read: dead-letter it in the batch's own transaction.
_READ_JSON: Subscription[PostgresUnitOfWork, dict[str, Any]] = Subscription(_nothing, read_json_object, event_id=None)


async def _publish_all(pool: asyncpg.Pool, bootstrap: str) -> None:
    async def started() -> AIOKafkaProducer:
        producer = idempotent_producer(bootstrap)
        await producer.start()
        return producer

    relay = OutboxRelay(pool, started)
    try:
        await relay.flush()
    finally:
        await relay.close()


async def test_hostile_records_are_dead_lettered_and_published_byte_exact(
    intake_pool: asyncpg.Pool, topic_prefix: str, probe
) -> None:
    topic = topic_prefix + "claims.submitted.v1"
    records = _records(topic)
    await BatchProcessor(intake_pool, _READ_JSON).process(records)

    dead_letters = await intake_pool.fetchval("SELECT count(*) FROM outbox WHERE topic = $1", topic + ".dlq")
    assert dead_letters == len(records)
    await _publish_all(intake_pool, probe.bootstrap)
    assert await intake_pool.fetchval("SELECT count(*) FROM outbox") == 0

    def ours(published) -> list:
        return [r for r in published if _header(r.headers, "dlq.original.topic") == topic]

    received = ours(await probe.read_until(topic + ".dlq", lambda rs: len(ours(rs)) >= len(records)))
    by_offset = {int(_header(r.headers, "dlq.original.offset")): r for r in received}
    assert sorted(by_offset) == [r.offset for r in records]
    for record in records:
        published = by_offset[record.offset]
        assert published.key == record.key
        assert published.value == (record.value or b"")[:MAX_DEAD_LETTER_BYTES]
        assert tuple(published.headers)[: len(record.headers)] == record.headers
    assert int(_header(by_offset[records[5].offset].headers, "dlq.truncated.from.bytes")) == len(records[5].value)


async def test_when_the_full_dead_letter_cannot_be_written_the_raw_bytes_are(
    intake_pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unwritable(record: InboundRecord, reason: str, **_: object) -> OutboxMessage:
        unencodable = (("h", 42),)  # not bytes: the outbox cannot encode these headers
        return OutboxMessage(
            record.topic + ".dlq",
            record.key,
            record.value or b"",
            unencodable,  # type: ignore[arg-type]
        )

    async def failing_handler(uow: PostgresUnitOfWork, records: Sequence[InboundRecord]) -> list[OutboxMessage]:
        raise ValueError("handler cannot cope")

    from guichet_common.outbox import queued_messages

    monkeypatch.setattr(consumer, "dead_letter", unwritable)
    record = InboundRecord("t.in", 2, 9, b"\xff", b"\x00raw", (("x", b"\x00"),))
    processor = BatchProcessor(intake_pool, Subscription(failing_handler, lambda r: r, event_id=None))
    await processor.process([record])
    await processor.process([record])  # redelivered: still one dead letter

    async with intake_pool.acquire() as conn:
        [stored] = await queued_messages(conn)
    assert (stored.topic, stored.key, stored.value) == ("t.in.dlq", b"\xff", b"\x00raw")
    headers = dict(stored.headers)
    assert "handler cannot cope" in headers["dlq.reason"].decode()
    assert headers["dlq.original.offset"] == b"9" and headers["dlq.headers.dropped"] == b"1"
    assert "x" not in headers


def _header(headers, name: str) -> str | None:
    found = [value for key, value in headers if key == name]
    return found[-1].decode() if found else None
