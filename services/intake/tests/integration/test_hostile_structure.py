"""Intake on real PostgreSQL: a claim_id with a control character, or JSON nested deeper than any contract needs,
is dead-lettered with its own reason, decided for that record alone. Both used to fail the whole batch (PostgreSQL
refuses a NUL in the claim_id lookup; orjson cannot re-serialise what it read 255 levels deep), which the consumer
then split and retried one by one until the hostile record ended as a generic "handler error"."""

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

pytestmark = pytest.mark.integration
EXAMPLE = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text())
SERVICE = IntakeService(programmes=frozenset({"cheque-france-num-2021"}))
SUBMISSIONS: Subscription[IntakeUnitOfWork, Submission] = Subscription(SERVICE.apply_submissions, decode_submission)
CLAIM_ID = EXAMPLE["claim"]["claim_id"]
HOSTILE_ID = "CFN-2021-HOSTILE9"


def event(**claim_changes: Any) -> dict[str, Any]:
    value = copy.deepcopy(EXAMPLE)
    value["event_id"] = str(uuid.uuid4())
    value["claim"].update(claim_changes)
    return value


def nested(depth: int) -> bytes:
    """A submission under a usable claim_id whose `filed_by` is `depth` levels of arrays (built as text: Python's
    own json would hit its recursion limit first)."""
    text = json.dumps(event(claim_id=HOSTILE_ID, filed_by="__DEEP__"))
    return text.replace('"__DEEP__"', "[" * depth + "]" * depth).encode()


async def apply_batch(pool: asyncpg.Pool, *values: dict[str, Any] | bytes) -> None:
    """One batch, as the consumer hands it over: raising here is what made the consumer split and retry it."""
    records = [
        InboundRecord("claims.submitted.v1", 0, n, b"642515712", v if isinstance(v, bytes) else json.dumps(v).encode())
        for n, v in enumerate(values)
    ]
    async with open_unit_of_work(pool, IntakeUnitOfWork) as uow:
        await SUBMISSIONS.apply(uow, records)


async def statuses(pool: asyncpg.Pool) -> list[tuple[str, str, list[str]]]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE topic = 'claims.status.v1' ORDER BY id")
    return [(v["claim_id"], v["status"], v["reasons"]) for v in (json.loads(r["value"]) for r in rows)]


async def dead_letter_reasons(pool: asyncpg.Pool) -> list[str]:
    async with pool.acquire() as conn:
        rows = await queued_messages(conn, "claims.submitted.v1.dlq")
    return [dict(r.headers)["dlq.reason"].decode() for r in rows]


async def assert_only_the_normal_claim_received(pool: asyncpg.Pool) -> None:
    assert await pool.fetchval("SELECT array_agg(claim_id) FROM claims") == [CLAIM_ID]
    assert (CLAIM_ID, "received", []) in await statuses(pool)


@pytest.mark.parametrize("claim_id", ["CFN-2021-\x00NUL0001", "\x00", "CFN-2021-ESC\x1b0001", "CFN-2021-LF00001\n"])
async def test_a_claim_id_with_a_control_character_is_dead_lettered_and_its_batch_goes_on(
    intake_pool: asyncpg.Pool, claim_id: str
) -> None:
    await apply_batch(intake_pool, event(claim_id=claim_id), event())
    await assert_only_the_normal_claim_received(intake_pool)
    [reason] = await dead_letter_reasons(intake_pool)
    assert reason.startswith("SCHEMA_INVALID without a usable claim_id: claim.claim_id:")
    assert [claim_id for claim_id, _, _ in await statuses(intake_pool)] == [CLAIM_ID]
    assert await intake_pool.fetchval("SELECT count(*) FROM refusals") == 0


@pytest.mark.parametrize("depth", [40, 254, 300, 1000])
async def test_json_nested_deeper_than_any_contract_is_dead_lettered_and_its_batch_goes_on(
    intake_pool: asyncpg.Pool, depth: int
) -> None:
    await apply_batch(intake_pool, nested(depth), event())
    await assert_only_the_normal_claim_received(intake_pool)
    [reason] = await dead_letter_reasons(intake_pool)
    assert reason == "value nests deeper than 32 levels: no contract needs more than a few"
    assert HOSTILE_ID not in {claim_id for claim_id, _, _ in await statuses(intake_pool)}


async def test_nesting_within_the_readers_limit_is_refused_by_the_schema(intake_pool: asyncpg.Pool) -> None:
    await apply_batch(intake_pool, nested(20), event())
    await assert_only_the_normal_claim_received(intake_pool)
    assert (HOSTILE_ID, "refused", ["SCHEMA_INVALID"]) in await statuses(intake_pool)
    assert await dead_letter_reasons(intake_pool) == []
