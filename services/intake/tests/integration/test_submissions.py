"""Intake on real PostgreSQL: registered once, refused with codes, conflicts detected, poison dead-lettered."""

from __future__ import annotations

import copy
import json
import uuid

import asyncpg
import pytest

from guichet_common.contracts import EXAMPLES
from guichet_common.outbox import queued_messages
from guichet_common.pipeline import Subscription
from guichet_common.records import InboundRecord
from guichet_common.unit_of_work import open_unit_of_work
from guichet_intake.handlers import decode_submission
from guichet_intake.service import IntakeService, Submission
from guichet_intake.unit_of_work import IntakeUnitOfWork

pytestmark = pytest.mark.integration
EXAMPLE = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text())
SERVICE = IntakeService(programmes=frozenset({"cheque-france-num-2021"}))
SUBMISSIONS: Subscription[IntakeUnitOfWork, Submission] = Subscription(SERVICE.apply_submissions, decode_submission)


def submission(offset: int, **claim_changes: object) -> InboundRecord:
    event = copy.deepcopy(EXAMPLE)
    event["event_id"] = str(uuid.uuid4())
    event["claim"].update(claim_changes)
    return InboundRecord("claims.submitted.v1", 0, offset, b"642515712", json.dumps(event).encode())


async def apply(pool: asyncpg.Pool, *records: InboundRecord) -> None:
    async with open_unit_of_work(pool, IntakeUnitOfWork) as uow:
        await SUBMISSIONS.apply(uow, list(records))


async def published(pool: asyncpg.Pool, topic: str = "claims.status.v1") -> list[tuple[str, str, list[str]]]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE topic = $1 ORDER BY id", topic)
    return [(v["claim_id"], v["status"], v["reasons"]) for v in (json.loads(r["value"]) for r in rows)]


async def test_the_same_claim_under_a_new_event_id_is_a_harmless_duplicate(intake_pool: asyncpg.Pool) -> None:
    await apply(intake_pool, submission(1))
    await apply(intake_pool, submission(2))
    assert await published(intake_pool) == [("CFN-2021-0000123", "received", [])]
    assert await intake_pool.fetchval("SELECT count(*) FROM claims") == 1
    registered = await intake_pool.fetchval("SELECT count(*) FROM outbox WHERE topic = 'intake.claims-registered.v1'")
    assert registered == 1


async def test_the_same_claim_id_with_other_content_is_a_conflict(intake_pool: asyncpg.Pool) -> None:
    await apply(intake_pool, submission(1))
    await apply(intake_pool, submission(2, filed_by={"kind": "accountant"}))
    # Recorded as refused, but not announced under the registered claim's id (test_claim_id_ownership says why).
    assert await published(intake_pool) == [("CFN-2021-0000123", "received", [])]
    codes = await intake_pool.fetchval("SELECT codes FROM refusals")
    assert list(codes) == ["CLAIM_ID_CONFLICT"]


async def test_every_failing_code_is_reported(intake_pool: asyncpg.Pool) -> None:
    bad = submission(1, claim_id="CFN-2021-BAD0001", programme="unknown-programme")
    event = json.loads(bad.value)
    event["claim"]["applicant"]["siren"] = "642515713"
    event["claim"]["bank_account"]["iban"] = "FR7693233145437431125912958"
    await apply(intake_pool, InboundRecord(bad.topic, 0, 1, bad.key, json.dumps(event).encode()))
    assert await published(intake_pool) == [
        ("CFN-2021-BAD0001", "received", []),
        ("CFN-2021-BAD0001", "refused", ["SIREN_INVALID", "SIRET_INVALID", "IBAN_INVALID", "UNKNOWN_PROGRAMME"]),
    ]
    assert await intake_pool.fetchval("SELECT count(*) FROM claims") == 0


async def test_unreadable_values_go_to_the_dead_letter_topic_with_their_reason(intake_pool: asyncpg.Pool) -> None:
    too_big = b'{"x": "' + b"a" * 1_100_000 + b'"}'
    await apply(
        intake_pool,
        InboundRecord("claims.submitted.v1", 0, 1, b"k", b"[1, 2]"),
        InboundRecord("claims.submitted.v1", 0, 2, b"k", too_big),
        InboundRecord("claims.submitted.v1", 0, 3, b"k", json.dumps({"claim": {"claim_id": "x"}}).encode()),
    )
    async with intake_pool.acquire() as conn:
        rows = await queued_messages(conn, "claims.submitted.v1.dlq")
    reasons = [dict(r.headers)["dlq.reason"].decode() for r in rows]
    assert len(reasons) == 3
    assert "not an object" in reasons[0]
    assert "exceeds" in reasons[1]
    assert "SCHEMA_INVALID without a usable claim_id" in reasons[2]
