"""The audit trail: who did what, when and why, in an append-only table whose rows are chained by sha256.

Every row's `row_hash` is sha256(previous row's row_hash + the row's canonical content), the first row's previous
hash being 64 zeros. The table's triggers refuse UPDATE, DELETE and TRUNCATE; a row changed or removed behind
them anyway (by a superuser, or on a restored copy) breaks the chain from that row on, and `verify_chain` names
the first row that no longer matches. Deleting the newest rows leaves no break inside the table: back the trail
up (see the README) and compare the newest hash with the copy's.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

GENESIS = "0" * 64
# Appends are serialised: each needs the hash of the row before it.
_APPEND_LOCK_ID = 7_316_502_291

SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
LOCKED_OUT = "locked_out"
SIGN_OUT = "sign_out"
PERSONAL_DATA_VIEWED = "personal_data_viewed"
CSV_COLUMNS = ("id", "occurred_at", "actor", "action", "target", "reason", "details", "previous_hash", "row_hash")


@dataclass(frozen=True)
class AuditRow:
    id: int
    occurred_at: dt.datetime
    actor: str
    action: str
    target: str
    reason: str
    details: Mapping[str, Any]
    previous_hash: str
    row_hash: str


@dataclass(frozen=True)
class ChainCheck:
    rows: int
    first_broken_id: int | None
    last_hash: str

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def canonical_content(
    occurred_at: dt.datetime, actor: str, action: str, target: str, reason: str, details: Mapping[str, Any]
) -> bytes:
    """The bytes a row's hash covers: sorted-key compact JSON, the time in UTC to the microsecond."""
    fields = {
        "occurred_at": occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "target": target,
        "reason": reason,
        "details": details,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chained_hash(previous_hash: str, content: bytes) -> str:
    return hashlib.sha256(previous_hash.encode() + content).hexdigest()


async def record(
    conn: asyncpg.Connection,
    actor: str,
    action: str,
    target: str = "",
    reason: str = "",
    details: Mapping[str, Any] | None = None,
) -> str:
    """Append one row, in the caller's transaction when there is one (so a decision and its record commit
    together); returns its hash. `details` must be JSON (strings, integers, booleans, lists, objects)."""
    details = dict(details or {})
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _APPEND_LOCK_ID)
        previous = await conn.fetchval("SELECT row_hash FROM audit_trail ORDER BY id DESC LIMIT 1") or GENESIS
        # PostgreSQL's clock, cut to microseconds like timestamptz, so that the hash covers what is stored.
        now: dt.datetime = await conn.fetchval("SELECT clock_timestamp()")
        row_hash = chained_hash(previous, canonical_content(now, actor, action, target, reason, details))
        await conn.execute(
            "INSERT INTO audit_trail (occurred_at, actor, action, target, reason, details, previous_hash, row_hash)"
            " VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8)",
            now,
            actor,
            action,
            target,
            reason,
            json.dumps(details, ensure_ascii=False),
            previous,
            row_hash,
        )
    return row_hash


def _row(record_: asyncpg.Record) -> AuditRow:
    details = record_["details"]
    return AuditRow(
        id=record_["id"],
        occurred_at=record_["occurred_at"],
        actor=record_["actor"],
        action=record_["action"],
        target=record_["target"],
        reason=record_["reason"],
        details=json.loads(details) if isinstance(details, str) else details,
        previous_hash=record_["previous_hash"],
        row_hash=record_["row_hash"],
    )


_SELECT = (
    "SELECT id, occurred_at, actor, action, target, reason, details::text AS details, previous_hash, row_hash"
    " FROM audit_trail"
)


async def latest(
    conn: asyncpg.Connection, *, actor: str | None = None, action: str | None = None, limit: int = 200
) -> list[AuditRow]:
    """The newest rows first, optionally one person's or one action's."""
    rows = await conn.fetch(
        _SELECT + " WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR action = $2)"
        " ORDER BY id DESC LIMIT $3",
        actor,
        action,
        limit,
    )
    return [_row(r) for r in rows]


async def all_rows(conn: asyncpg.Connection, batch: int = 5000) -> AsyncIterator[AuditRow]:
    """Every row, oldest first, a batch at a time (the trail only grows)."""
    after = 0
    while True:
        rows = await conn.fetch(_SELECT + " WHERE id > $1 ORDER BY id LIMIT $2", after, batch)
        for r in rows:
            yield _row(r)
        if len(rows) < batch:
            return
        after = rows[-1]["id"]


async def verify_chain(conn: asyncpg.Connection) -> ChainCheck:
    """Recompute every row's hash from the one before; the first row that does not match breaks the chain."""
    previous, count = GENESIS, 0
    async for row in all_rows(conn):
        count += 1
        content = canonical_content(row.occurred_at, row.actor, row.action, row.target, row.reason, row.details)
        if row.previous_hash != previous or row.row_hash != chained_hash(previous, content):
            return ChainCheck(count, row.id, previous)
        previous = row.row_hash
    return ChainCheck(count, None, previous)


def csv_header() -> str:
    return _csv_line(CSV_COLUMNS)


def csv_line(row: AuditRow) -> str:
    details = json.dumps(row.details, sort_keys=True, ensure_ascii=False)
    values = (row.id, row.occurred_at.isoformat(), row.actor, row.action, row.target, row.reason, details)
    return _csv_line((*values, row.previous_hash, row.row_hash))


def _csv_line(values: tuple[object, ...]) -> str:
    out = io.StringIO()
    # A cell starting with = + - @ is a formula to a spreadsheet: quote it so an exported reason cannot run one.
    cells = [f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in values]
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()
