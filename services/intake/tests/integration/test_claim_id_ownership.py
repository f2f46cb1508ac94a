"""A claim_id belongs to the first submission that used it, registered or refused, on real PostgreSQL: a later
submission under it can neither capture its e-mails nor write `refused` over a registered claim's status, and what
a refused submission leaves on the status topic is safe to put in an e-mail header."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

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

from .sealed_values import opened

pytestmark = pytest.mark.integration
EXAMPLE = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text())
SERVICE = IntakeService(programmes=frozenset({"cheque-france-num-2021"}))
SUBMISSIONS: Subscription[IntakeUnitOfWork, Submission] = Subscription(SERVICE.apply_submissions, decode_submission)
CLAIM_ID = EXAMPLE["claim"]["claim_id"]
REAL = EXAMPLE["claim"]["contact"]["email"]
INTRUDER = "intrus@example.org"


def event(**claim_changes: Any) -> dict[str, Any]:
    value = copy.deepcopy(EXAMPLE)
    value["event_id"] = str(uuid.uuid4())
    value["claim"].update(claim_changes)
    return value


def malformed(claim_id: str = CLAIM_ID, email: str = INTRUDER, **claim_changes: Any) -> dict[str, Any]:
    """A submission that fails the schema but keeps a claim_id and an e-mail address."""
    value = event(claim_id=claim_id, **claim_changes)
    value["claim"]["contact"]["email"] = email
    value["claim"]["applicant"]["headcount"] = "three"
    return value


async def apply(pool: asyncpg.Pool, *values: dict[str, Any]) -> None:
    records = [
        InboundRecord("claims.submitted.v1", 0, n, b"642515712", json.dumps(v).encode()) for n, v in enumerate(values)
    ]
    async with open_unit_of_work(pool, IntakeUnitOfWork) as uow:
        await SUBMISSIONS.apply(uow, records)


async def outbox(pool: asyncpg.Pool, topic: str) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE topic = $1 ORDER BY id", topic)
    return [json.loads(r["value"]) for r in rows]


async def statuses(pool: asyncpg.Pool) -> list[tuple[str, str, list[str]]]:
    return [(v["claim_id"], v["status"], v["reasons"]) for v in await outbox(pool, "claims.status.v1")]


async def dead_letter_reasons(pool: asyncpg.Pool) -> list[str]:
    async with pool.acquire() as conn:
        rows = await queued_messages(conn, "claims.submitted.v1.dlq")
    return [dict(r.headers)["dlq.reason"].decode() for r in rows]


async def test_a_conflict_with_a_registered_claim_never_writes_refused_over_its_status(
    intake_pool: asyncpg.Pool,
) -> None:
    await apply(intake_pool, event())
    await apply(intake_pool, event(filed_by={"kind": "accountant"}))
    await apply(intake_pool, malformed())
    assert await statuses(intake_pool) == [(CLAIM_ID, "received", [])]
    contacts = await outbox(intake_pool, "intake.applicant-contacts.v1")
    assert [await opened(intake_pool, c["email"]) for c in contacts] == [REAL]
    reasons = await dead_letter_reasons(intake_pool)
    assert len(reasons) == 2 and all(r.startswith("CLAIM_ID_CONFLICT") for r in reasons)
    codes = await intake_pool.fetch("SELECT codes FROM refusals ORDER BY id")
    assert [list(r["codes"]) for r in codes] == [["CLAIM_ID_CONFLICT"], ["SCHEMA_INVALID", "CLAIM_ID_CONFLICT"]]


async def test_a_refused_submission_keeps_its_claim_id_so_its_contact_never_gets_a_later_claims_mail(
    intake_pool: asyncpg.Pool,
) -> None:
    # Someone sends a malformed claim under a claim_id a portal will hand out later.
    await apply(intake_pool, malformed())
    await apply(intake_pool, event())  # the real applicant, later
    assert await intake_pool.fetchval("SELECT count(*) FROM claims") == 0
    assert await outbox(intake_pool, "intake.claims-registered.v1") == []
    assert await statuses(intake_pool) == [
        (CLAIM_ID, "received", []),
        (CLAIM_ID, "refused", ["SCHEMA_INVALID"]),
        (CLAIM_ID, "received", []),
        (CLAIM_ID, "refused", ["CLAIM_ID_CONFLICT"]),
    ]
    contacts = await outbox(intake_pool, "intake.applicant-contacts.v1")
    assert [await opened(intake_pool, c["email"]) for c in contacts] == [
        INTRUDER
    ]  # told about its own refusal, and nothing else


async def test_the_same_refused_content_again_is_judged_again_not_a_conflict(intake_pool: asyncpg.Pool) -> None:
    first = malformed(email=REAL)
    again = copy.deepcopy(first)
    again["event_id"] = str(uuid.uuid4())
    await apply(intake_pool, first)
    await apply(intake_pool, again)
    assert [s[2] for s in await statuses(intake_pool)] == [[], ["SCHEMA_INVALID"], [], ["SCHEMA_INVALID"]]


async def test_a_claim_id_ending_in_a_newline_is_not_salvaged(intake_pool: asyncpg.Pool) -> None:
    await apply(intake_pool, malformed(claim_id=CLAIM_ID + "\n"))
    assert await statuses(intake_pool) == []
    assert await outbox(intake_pool, "intake.applicant-contacts.v1") == []
    [reason] = await dead_letter_reasons(intake_pool)
    assert "without a usable claim_id" in reason


@pytest.mark.parametrize("programme", ["cheque-france-num-2021\r\nBcc: x@example.org", "x\u2028y", "p\x00"])
async def test_a_programme_with_control_characters_never_reaches_the_status_or_contact(
    intake_pool: asyncpg.Pool, programme: str
) -> None:
    await apply(intake_pool, malformed(programme=programme, email=REAL))
    await apply(intake_pool, event(claim_id="CFN-2021-0000124", programme=programme))
    published = await outbox(intake_pool, "claims.status.v1") + await outbox(
        intake_pool, "intake.applicant-contacts.v1"
    )
    assert len(published) == 6
    assert {p["programme"] for p in published} == {"unknown"}
    refused = [s for s in await statuses(intake_pool) if s[1] == "refused"]
    assert refused == [
        (CLAIM_ID, "refused", ["SCHEMA_INVALID"]),
        ("CFN-2021-0000124", "refused", ["UNKNOWN_PROGRAMME", "TEXT_CONTROL_CHARACTERS"]),
    ]


async def test_a_contact_name_with_control_characters_is_not_passed_on(intake_pool: asyncpg.Pool) -> None:
    value = malformed(email=REAL)
    value["claim"]["contact"]["full_name"] = "Claire\r\nMartin"
    await apply(intake_pool, value)
    [contact] = await outbox(intake_pool, "intake.applicant-contacts.v1")
    assert await opened(intake_pool, contact["full_name"]) == ""
