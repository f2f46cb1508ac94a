"""Lenient header names (no broker needed): a fetched batch with a non-UTF-8 header name decodes, record for record,
through the fetcher's own `MemoryRecords`; every other corruption still raises; the patch is active once a subscriber
is declared and refuses to install on an aiokafka whose internals moved. The real broker: intake's
test_header_names."""

from __future__ import annotations

import struct

import pytest
from aiokafka.consumer import fetcher
from aiokafka.errors import CorruptRecordException
from aiokafka.record import default_records, memory_records
from faststream.kafka import KafkaBroker

from guichet_common import kafka_record_decoding
from guichet_common.consumer import BatchProcessor, subscribe_batches
from guichet_common.kafka_record_decoding import (
    LenientMemoryRecords,
    _BatchWithFallback,
    build_batch,
    is_active,
    publishable_name,
    raw_header_name,
    unreadable_header_names,
)
from guichet_common.records import InboundRecord, dead_letter

BAD = b"x-\xff\xfe"
RECORDS = [
    (b"k0", b"v0", [("trace", b"0")]),
    (b"k1", b"v1", [("ok", None), (BAD, b"1")]),
    (b"k2", b"v2", []),
    (b"k3", None, [(b"\xc3\x28", b"")]),
]
EXPECTED = [
    (0, b"k0", b"v0", [(b"trace", b"0")]),
    (1, b"k1", b"v1", [(b"ok", None), (BAD, b"1")]),
    (2, b"k2", b"v2", []),
    (3, b"k3", None, [(b"\xc3\x28", b"")]),
]


def _decoded(batch) -> list:
    return [(r.offset, r.key, r.value, [(raw_header_name(n), v) for n, v in r.headers]) for r in batch]


def test_subscribing_installs_the_lenient_decoder() -> None:
    processor = BatchProcessor(None, None)  # type: ignore[arg-type]  # never runs: nothing is consumed here
    subscribe_batches(KafkaBroker(), "some.topic", group_id="g", processor=processor)
    assert is_active()
    assert fetcher.MemoryRecords is LenientMemoryRecords


CODECS = {"plain": default_records.DefaultRecordBatch.CODEC_NONE, "gzip": default_records.DefaultRecordBatch.CODEC_GZIP}


@pytest.mark.parametrize("codec", CODECS.values(), ids=CODECS.keys())
def test_every_record_of_a_batch_with_a_non_utf8_header_name_is_read_with_its_exact_bytes(codec: int) -> None:
    # Two batches: the second must be reached too.
    records = LenientMemoryRecords(build_batch(RECORDS, codec) + build_batch(RECORDS[:1]))
    first = records.next_batch()
    assert first.validate_crc()  # attributes the fetcher reads come from aiokafka's own batch
    assert _decoded(first) == EXPECTED
    assert _decoded(records.next_batch()) == EXPECTED[:1]
    assert not records.has_next()


def test_aiokafkas_own_decoder_still_stops_on_it() -> None:
    """What the patch is for: without it, the batch cannot be read past the bad name, on every fetch."""
    batch = memory_records.MemoryRecords(build_batch(RECORDS)).next_batch()
    with pytest.raises((UnicodeDecodeError, CorruptRecordException)):
        list(batch)


def test_the_pure_python_decoders_error_is_recognised_as_well() -> None:
    raw = memoryview(build_batch(RECORDS))
    assert _decoded(_BatchWithFallback(default_records._DefaultRecordBatchPy(raw), raw)) == EXPECTED


@pytest.mark.parametrize("records", [RECORDS, RECORDS[:1] + RECORDS[2:3]], ids=["with a bad name", "without"])
def test_other_corruption_still_raises(records: list) -> None:
    raw = bytearray(build_batch(records))
    count_at = default_records.DefaultRecordBase.HEADER_STRUCT.size - 4  # Records count => Int32, last of the header
    struct.pack_into(">i", raw, count_at, len(records) + 1)  # one record more than the bytes hold
    with pytest.raises(CorruptRecordException):
        list(LenientMemoryRecords(bytes(raw)).next_batch())


def test_a_name_that_is_not_utf8_is_a_reason_to_dead_letter_and_is_published_escaped() -> None:
    bad_name = BAD.decode("utf-8", "surrogateescape")
    assert unreadable_header_names([("trace", b"1"), ("é", None)]) is None
    assert unreadable_header_names([("trace", b"1"), (bad_name, b"2")]) == "header name is not UTF-8: x-\\xff\\xfe"
    assert publishable_name(bad_name) == "x-\\xff\\xfe"
    assert publishable_name("é\x00") == "é\x00"  # valid names are sent as they came

    record = InboundRecord("t", 0, 5, b"k", b"v", (("trace", b"1"), (bad_name, b"\xff")))
    letter = dead_letter(record, "header name is not UTF-8: x-\\xff\\xfe")
    assert letter.headers[:2] == (("trace", b"1"), ("x-\\xff\\xfe", b"\xff"))
    assert dict(letter.headers)["dlq.headers.renamed"] == b"1"
    for name, _ in letter.headers:
        name.encode("utf-8")  # what the relay's producer does with each name
    assert "dlq.headers.renamed" not in dict(dead_letter(InboundRecord("t", 0, 6, b"k", b"v", ()), "r").headers)


def test_it_refuses_to_install_on_an_aiokafka_whose_internals_moved(monkeypatch: pytest.MonkeyPatch) -> None:
    original = memory_records.MemoryRecords
    monkeypatch.setattr(fetcher, "MemoryRecords", original)
    monkeypatch.setattr(kafka_record_decoding, "_installed", False)
    read_msg = default_records._DefaultRecordBatchPy._read_msg

    def reading_a_copy(self, *args):  # as if a release no longer decoded header names from slices of `_buffer`
        self._buffer = bytearray(self._buffer)
        return read_msg(self, *args)

    monkeypatch.setattr(default_records._DefaultRecordBatchPy, "_read_msg", reading_a_copy)
    with pytest.raises(RuntimeError, match="no longer decodes records the way"):
        kafka_record_decoding.install()
    assert fetcher.MemoryRecords is original and not is_active()
