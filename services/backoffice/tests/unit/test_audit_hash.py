"""The audit trail's canonical content, hash chain and CSV lines (the database side is in integration/auth)."""

from __future__ import annotations

import datetime as dt
import hashlib

from guichet_backoffice import audit

PARIS = dt.timezone(dt.timedelta(hours=1))
AT = dt.datetime(2026, 12, 3, 10, 0, 0, 123456, tzinfo=PARIS)


def test_the_content_is_the_same_whatever_the_time_zone_and_key_order() -> None:
    one = audit.canonical_content(AT, "alice", "sign_in", "alice", "", {"b": 1, "a": "é"})
    other = audit.canonical_content(AT.astimezone(dt.UTC), "alice", "sign_in", "alice", "", {"a": "é", "b": 1})
    assert one == other
    assert b'"occurred_at":"2026-12-03T09:00:00.123456+00:00"' in one


def test_each_hash_covers_the_previous_one() -> None:
    content = audit.canonical_content(AT, "alice", "sign_in", "alice", "", {})
    first = audit.chained_hash(audit.GENESIS, content)
    assert first == hashlib.sha256(audit.GENESIS.encode() + content).hexdigest()
    assert audit.chained_hash(first, content) != first


def test_csv_lines_neutralise_spreadsheet_formulas() -> None:
    row = audit.AuditRow(1, AT, "=cmd|calc", "decision_taken", "claim-1", "+1 motif", {"n": 1}, "0" * 64, "f" * 64)
    line = audit.csv_line(row)
    assert "'=cmd|calc" in line and "'+1 motif" in line and line.endswith("\r\n")
    assert audit.csv_header().startswith("id,occurred_at,actor,action,target,reason,details")
