"""What a handler sees of a Kafka record: raw bytes and coordinates, nothing decoded yet.

Handlers decode themselves so that a malformed value becomes a refusal or a dead letter, not a framework error.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from guichet_common.kafka_record_decoding import publishable_name
from guichet_common.outbox import OutboxMessage
from guichet_common.topics import DEAD_LETTER_SUFFIX, original_topic

M = TypeVar("M", bound=BaseModel)

# Any well-formed event larger than this is refused unread: no contract comes near it.
MAX_VALUE_BYTES = 1_000_000
MAX_DEAD_LETTER_BYTES = 256 * 1024
MAX_DEAD_LETTER_HEADER_BYTES = 64 * 1024
# The deepest contract path is 4-5 levels (claim.invoices[0].amount...). Deeper JSON is refused here, well before
# pydantic's JSON parser (254 levels) and orjson.dumps (255) give up on it: a record that reads must also re-serialise
# and validate, so its fate is decided per record and never by an exception that fails its batch.
MAX_JSON_DEPTH = 32
_COORDINATE_NAMESPACE = uuid.UUID("2f1d8a52-5a1c-4bb4-9a3c-6c1f3c7a9e10")


@dataclass(frozen=True)
class InboundRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()  # Kafka header values are nullable
    timestamp_ms: int = 0

    @property
    def coordinates(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"

    def fallback_event_id(self) -> uuid.UUID:
        """A stable id for a record that carries no usable `event_id`: redelivery of it maps to the same id."""
        return uuid.uuid5(_COORDINATE_NAMESPACE, self.coordinates)

    def content_digest(self) -> str:
        return hashlib.sha256(self.value or b"").hexdigest()


class Unreadable(Exception):
    """The record cannot be read as a JSON object at all: it goes to the dead-letter topic with this reason."""


def read_json_object(record: InboundRecord) -> dict[str, Any]:
    if record.value is None or record.value == b"":
        raise Unreadable("empty or null value")
    if len(record.value) > MAX_VALUE_BYTES:
        raise Unreadable(f"value of {len(record.value)} bytes exceeds the {MAX_VALUE_BYTES}-byte limit")
    try:
        # orjson: a third of the cost of json.loads on a claim; its error is a json.JSONDecodeError.
        payload = orjson.loads(record.value.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise Unreadable(f"value is not UTF-8: {error.reason} at byte {error.start}") from None
    except json.JSONDecodeError as error:
        raise Unreadable(f"value is not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    if not isinstance(payload, dict):
        raise Unreadable(f"value is JSON {type(payload).__name__}, not an object")
    if _nests_deeper_than(payload, MAX_JSON_DEPTH):
        raise Unreadable(f"value nests deeper than {MAX_JSON_DEPTH} levels: no contract needs more than a few")
    return payload


def _nests_deeper_than(value: Any, limit: int) -> bool:
    # Iterative: the value can be ~1,000 levels deep (orjson's own limit), past Python's recursion limit.
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                pending.append((child, depth + 1))
    return False


def describe_validation_error(error: ValidationError, limit: int = 5) -> list[str]:
    """Field paths and messages of a pydantic error, without echoing the offending values (they may be PII)."""
    described = [
        f"{'.'.join(str(part) for part in item['loc']) or '(root)'}: {item['msg']}" for item in error.errors()[:limit]
    ]
    if error.error_count() > limit:
        described.append(f"... and {error.error_count() - limit} more")
    return described


def dead_letter(record: InboundRecord, reason: str, *, attempts: int = 1) -> OutboxMessage:
    """The record, unchanged, bound for `<topic>.dlq` with why and where it came from in headers.

    Its key, value and headers are kept byte for byte (the outbox stores bytes), but for a header name that is not
    UTF-8, which our producer cannot send (see `kafka_record_decoding.publishable_name`); a value is cut at
    MAX_DEAD_LETTER_BYTES and headers beyond MAX_DEAD_LETTER_HEADER_BYTES are dropped, so that the dead letter
    itself can always be published."""
    kept_headers = record.headers if _size(record.headers) <= MAX_DEAD_LETTER_HEADER_BYTES else ()
    return _bound_for_dead_letters(record, reason, attempts, kept_headers)


def raw_dead_letter(record: InboundRecord, reason: str, *, attempts: int = 1) -> OutboxMessage:
    """The last fallback when even `dead_letter` cannot be written: the raw key and value, and our own headers."""
    return _bound_for_dead_letters(record, reason, attempts, ())


def _bound_for_dead_letters(
    record: InboundRecord, reason: str, attempts: int, kept_headers: Sequence[tuple[str, bytes | None]]
) -> OutboxMessage:
    value = record.value or b""
    kept = value[:MAX_DEAD_LETTER_BYTES]
    dropped = len(record.headers) - len(kept_headers)
    # A header name that is not UTF-8 cannot be published again: it is kept with its invalid bytes written as \xNN.
    publishable = tuple((publishable_name(name), header_value) for name, header_value in kept_headers)
    renamed = sum(mine != theirs for (mine, _), (theirs, _) in zip(publishable, kept_headers))
    headers = (
        *publishable,
        ("dlq.reason", reason[:1000].encode("utf-8", "replace")),
        *((("dlq.truncated.from.bytes", str(len(value)).encode()),) if len(kept) < len(value) else ()),
        *((("dlq.headers.dropped", str(dropped).encode()),) if dropped else ()),
        *((("dlq.headers.renamed", str(renamed).encode()),) if renamed else ()),
        ("dlq.original.topic", record.topic.encode()),
        ("dlq.original.partition", str(record.partition).encode()),
        ("dlq.original.offset", str(record.offset).encode()),
        ("dlq.attempts", str(attempts).encode()),
    )
    # A null value cannot be stored as-is (the reason says it was null); an oversized one is cut, so that the dead
    # letter itself can always be published.
    # A replayed record that fails again joins the original topic's dead letters (its coordinates say where it was).
    dead_letters = original_topic(record.topic) + DEAD_LETTER_SUFFIX
    return OutboxMessage(topic=dead_letters, key=record.key, value=kept, headers=headers)


def _size(headers: Sequence[tuple[str, bytes | None]]) -> int:
    return sum(len(name.encode("utf-8", "surrogatepass")) + len(value or b"") for name, value in headers)


def decode_pairs(
    model: type[M], records: Sequence[InboundRecord]
) -> tuple[list[tuple[InboundRecord, M]], list[OutboxMessage]]:
    """Each record with its `model`, or a dead letter naming the failing fields when it does not fit the contract."""
    decoded: list[tuple[InboundRecord, M]] = []
    dead: list[OutboxMessage] = []
    for record in records:
        try:
            decoded.append((record, model.model_validate_json(record.value or b"")))
        except ValidationError as error:
            dead.append(dead_letter(record, "schema: " + "; ".join(describe_validation_error(error))))
    return decoded, dead


def decode_all(model: type[M], records: Sequence[InboundRecord]) -> tuple[list[M], list[OutboxMessage]]:
    """Like `decode_pairs`, without the records."""
    pairs, dead = decode_pairs(model, records)
    return [event for _, event in pairs], dead
