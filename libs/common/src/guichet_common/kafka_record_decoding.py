"""Kafka records whose header NAME is not UTF-8 reach the batch handler instead of stopping the subscriber.

Kafka header names are bytes on the wire; aiokafka (0.14) decodes them strictly as UTF-8 while it unpacks a fetched
batch, before any of our code runs. One such record, which any client can write (kcat, a bare producer), then makes
every fetch of its partition raise: a bare `UnicodeDecodeError` from the C extension (the one in use), whose consume
loop FastStream's supervisor then restarts in a busy loop, or a `CorruptRecordException` from the pure-Python decoder,
which FastStream logs and retries every 5 s. Either way the subscriber stops for good, on every partition it holds.

`install()` replaces the `MemoryRecords` that aiokafka's fetcher builds for each fetched partition with
`LenientMemoryRecords`: the same batches, decoded by the same fast decoder, except that a batch whose decoding fails
on a header name is decoded again by aiokafka's pure-Python decoder with header names decoded `surrogateescape`
(PEP 383: undecodable bytes become U+DC80..U+DCFF, and `raw_header_name` gives the exact bytes back). No other
corruption is hidden: a bad CRC or a truncated record raises as before. `BatchProcessor` then dead-letters such a
record with the reason `header name is not UTF-8` (see `unreadable_header_names`) and the records behind it flow.

This leans on aiokafka's internals (`consumer.fetcher.MemoryRecords`, `_MemoryRecordsPy`, `_DefaultRecordBatchPy`).
`install()` therefore checks its own effect on a hand-built batch and raises `RuntimeError` if an upgrade changed
them, so a service (and the test suite) fails at start-up instead of running without the patch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import aiokafka
from aiokafka.consumer import fetcher
from aiokafka.errors import CorruptRecordException
from aiokafka.record import default_records, memory_records

from guichet_common.safe_text import printable_bytes

_PROBE_NAME = b"x-\xff\xfe"
_installed = False


def raw_header_name(name: str) -> bytes:
    """The bytes a header name had on the wire (a name the lenient decoder read keeps them as surrogate escapes)."""
    try:
        return name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no decoder here produced: keep it visible rather than fail
        return name.encode("utf-8", "surrogatepass")


def is_utf8_name(name: str) -> bool:
    try:
        str.encode(name, "utf-8")  # str's own: a RawHeaderName's encode gives its bytes whatever they are
    except UnicodeEncodeError:
        return False
    return True


def publishable_name(name: str) -> str:
    """A name a producer can send: the name itself when it is UTF-8, else its bytes with the invalid ones as `\\xNN`."""
    return name if is_utf8_name(name) else raw_header_name(name).decode("utf-8", "backslashreplace")


def unreadable_header_names(headers: Sequence[tuple[str, bytes | None]]) -> str | None:
    """Why a record cannot be handled because of its header names, or None when they are all UTF-8."""
    bad = [printable_bytes(raw_header_name(name), 60) for name, _ in headers if not is_utf8_name(name)]
    return f"header name is not UTF-8: {', '.join(bad)}" if bad else None


class _LenientNameBuffer(bytearray):
    """A batch buffer whose slices decode with `surrogateescape`: aiokafka's pure-Python decoder reads a header name
    as `buffer[start:end].decode("utf-8")`, and keys, values and header values as `bytes(buffer[start:end])`."""

    def __getitem__(self, index: Any) -> Any:
        item = super().__getitem__(index)
        return _LenientSlice(item) if isinstance(index, slice) else item


class _LenientSlice(bytearray):
    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return super().decode(encoding, "surrogateescape")


class _LenientBatch(default_records._DefaultRecordBatchPy):  # type: ignore[misc]  # final in its stubs only
    """aiokafka's pure-Python batch decoder, reading header names leniently (after decompression, if any)."""

    _buffer: bytearray  # the batch's bytes, decompressed: set by aiokafka, which has no types

    def _maybe_uncompress(self) -> None:
        super()._maybe_uncompress()
        if not isinstance(self._buffer, _LenientNameBuffer):
            self._buffer = _LenientNameBuffer(self._buffer)


def _failed_on_a_header_name(error: Exception) -> bool:
    # The C decoder lets the UnicodeDecodeError through; the pure-Python one wraps it in a CorruptRecordException.
    # Header names are the only text in a v2 record, so a UnicodeDecodeError can come from nowhere else.
    return isinstance(error, UnicodeDecodeError) or isinstance(error.__cause__, UnicodeDecodeError)


class _BatchWithFallback:
    """One v2 batch as the fast decoder reads it, switching to `_LenientBatch` where a header name fails to decode."""

    def __init__(self, fast: Any, raw: memoryview) -> None:
        self._fast = fast
        self._raw = raw
        self._returned = 0
        self._lenient: Iterator[Any] | None = None

    def __getattr__(self, name: str) -> Any:  # validate_crc, base_offset, next_offset, is_control_batch...
        return getattr(self._fast, name)

    def __iter__(self) -> _BatchWithFallback:
        if self._lenient is None:
            iter(self._fast)  # the fast decoder decompresses here
        return self

    def __next__(self) -> Any:
        if self._lenient is None:
            try:
                record = next(self._fast)
            except (UnicodeDecodeError, CorruptRecordException) as error:
                if not _failed_on_a_header_name(error):
                    raise
                self._lenient = iter(_LenientBatch(self._raw))
                for _ in range(self._returned):  # already handed out by the fast decoder
                    next(self._lenient)
            else:
                self._returned += 1
                return record
        return next(self._lenient)


class LenientMemoryRecords:
    """What aiokafka's fetcher unpacks a fetched partition with, once `install()` ran (see the module docstring)."""

    def __init__(self, bytes_data: bytes) -> None:
        # The pure-Python splitter hands out each batch's bytes (kept for the fallback) and builds the batch with
        # the fast decoder; splitting costs one step per batch, not per record.
        self._batches = memory_records._MemoryRecordsPy(bytes_data)

    def size_in_bytes(self) -> int:
        return int(self._batches.size_in_bytes())

    def has_next(self) -> bool:
        return bool(self._batches.has_next())

    def next_batch(self) -> Any:
        raw = self._batches._next_slice
        batch = self._batches.next_batch()
        if batch is None or raw is None or batch.magic < 2:
            return batch  # message formats v0 and v1 have no headers
        return _BatchWithFallback(batch, raw)


def install() -> None:
    """Make aiokafka's consumers in this process read non-UTF-8 header names leniently; idempotent.

    Raises RuntimeError when aiokafka's internals no longer match what the patch relies on."""
    global _installed
    if _installed:
        return
    original = fetcher.MemoryRecords
    if original is not memory_records.MemoryRecords:
        raise RuntimeError(f"aiokafka {aiokafka.__version__}: fetcher.MemoryRecords was already replaced by {original}")
    fetcher.MemoryRecords = LenientMemoryRecords
    try:
        _check_active()
    except Exception as error:
        fetcher.MemoryRecords = original
        raise RuntimeError(
            f"aiokafka {aiokafka.__version__} no longer decodes records the way guichet_common.kafka_record_decoding"
            f" expects ({error!r}); a record with a non-UTF-8 header name would stop its subscriber"
        ) from error
    _installed = True


def is_active() -> bool:
    return _installed and fetcher.MemoryRecords is LenientMemoryRecords


def _check_active() -> None:
    """Decode, the way the fetcher does, a batch whose middle record has a non-UTF-8 header name."""
    batch = build_batch([(b"k0", b"v0", []), (b"k1", b"v1", [(_PROBE_NAME, b"1")]), (b"k2", b"v2", [("ok", b"2")])])
    records = fetcher.MemoryRecords(batch)
    decoded = [(r.offset, r.key, [(raw_header_name(n), v) for n, v in r.headers]) for r in records.next_batch()]
    expected = [(0, b"k0", []), (1, b"k1", [(_PROBE_NAME, b"1")]), (2, b"k2", [(b"ok", b"2")])]
    if decoded != expected or records.has_next():
        raise AssertionError(f"decoded {decoded!r}, expected {expected!r}")


# Writing such records, for the tests and the adversarial suite: any client nobody here wrote can.


class RawHeaderName(str):
    """A header name sent as these exact bytes by a producer inside `writing_raw_header_names()`."""

    _raw: bytes

    def __new__(cls, raw: bytes) -> RawHeaderName:
        name = super().__new__(cls, raw.decode("utf-8", "surrogateescape"))
        name._raw = raw
        return name

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return self._raw

    __hash__ = str.__hash__


RecordToBuild = tuple[bytes | None, bytes | None, Sequence[tuple[str | bytes, bytes | None]]]  # key, value, headers


def build_batch(records: Sequence[RecordToBuild], compression_type: int = 0) -> bytes:
    """A v2 record batch at base offset 0 (compressed with one of aiokafka's CODEC_* if given), the way a producer
    would send it; a header name given as bytes is written as is."""
    builder = default_records._DefaultRecordBatchBuilderPy(
        magic=2,
        compression_type=compression_type,
        is_transactional=0,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=1 << 20,
    )
    for offset, (key, value, headers) in enumerate(records):
        named = [(RawHeaderName(n) if isinstance(n, bytes) else n, v) for n, v in headers]
        builder.append(offset, timestamp=None, key=key, value=value, headers=named)
    return bytes(builder.build())


@contextlib.contextmanager
def writing_raw_header_names() -> Iterator[None]:
    """Within this block, producers of this process build batches with aiokafka's pure-Python builder, which sends
    a `RawHeaderName` as its bytes (the C builder accepts exact `str` names only). For tests and chaos runs."""
    from aiokafka.producer import message_accumulator, producer

    fast = producer.DefaultRecordBatchBuilder
    python_builder = default_records._DefaultRecordBatchBuilderPy
    producer.DefaultRecordBatchBuilder = message_accumulator.DefaultRecordBatchBuilder = python_builder
    try:
        yield
    finally:
        producer.DefaultRecordBatchBuilder = message_accumulator.DefaultRecordBatchBuilder = fast
