"""The claim's `source` on real PostgreSQL (issue 17): stored with the claim, read back when a waiting claim is
judged and when an operator decides it, and put on every status; claims stored before the column have none."""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest

from guichet_common.records import InboundRecord
from guichet_common.unit_of_work import open_unit_of_work
from guichet_eligibility.review import ReviewDecision, review_decision
from guichet_eligibility.unit_of_work import EligibilityUnitOfWork

from .sealed_claims import registered_event
from .test_registry_and_judgement import (
    CLAIM,
    CLAIMS_FEED,
    NO_WAIT_CLAIMS_FEED,
    REGISTRY,
    REGISTRY_FEED,
    SERVICE,
    registry,
    run,
)

pytestmark = pytest.mark.integration


def registered(offset: int, claim_id: str, source: str | None) -> InboundRecord:
    event = registered_event(
        event_id=uuid.uuid4(),
        occurred_at=CLAIM.submitted_at,
        correlation_id=uuid.uuid4(),
        claim=CLAIM.model_copy(update={"claim_id": claim_id}),
        source=source,
    )
    return InboundRecord("intake.claims-registered.v1", 0, offset, b"642515712", event.model_dump_json().encode())


async def status_sources(pool: asyncpg.Pool) -> list[tuple[str, str, str | None]]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE topic = 'claims.status.v1' ORDER BY id")
    return [(v["claim_id"], v["status"], v.get("source")) for v in (json.loads(r["value"]) for r in rows)]


async def test_a_waiting_claim_is_judged_with_its_stored_source(eligibility_pool: asyncpg.Pool) -> None:
    await run(eligibility_pool, CLAIMS_FEED, registered(1, "CFN-2021-SRC00001", "beta"))
    assert await eligibility_pool.fetchval("SELECT source FROM claims") == "beta"
    await run(eligibility_pool, REGISTRY_FEED, registry(2, REGISTRY))
    assert await status_sources(eligibility_pool) == [("CFN-2021-SRC00001", "approved", "beta")]
    decision = await eligibility_pool.fetchval("SELECT value FROM outbox WHERE topic = 'eligibility.decisions.v1'")
    assert json.loads(decision)["source"] == "beta"


async def test_an_operator_s_decision_reads_the_claim_s_source(eligibility_pool: asyncpg.Pool) -> None:
    await run(eligibility_pool, NO_WAIT_CLAIMS_FEED, registered(1, "CFN-2021-SRC00002", "beta"))
    async with open_unit_of_work(eligibility_pool, EligibilityUnitOfWork) as uow:
        await review_decision(uow, SERVICE.programmes, ReviewDecision("CFN-2021-SRC00002", "rejected", "alice", "vu"))
    assert await status_sources(eligibility_pool) == [
        ("CFN-2021-SRC00002", "under_review", "beta"),
        ("CFN-2021-SRC00002", "rejected", "beta"),
    ]


async def test_a_claim_registered_without_a_source_is_announced_without_one(eligibility_pool: asyncpg.Pool) -> None:
    await run(eligibility_pool, NO_WAIT_CLAIMS_FEED, registered(1, "CFN-2021-SRC00003", None))
    assert await status_sources(eligibility_pool) == [("CFN-2021-SRC00003", "under_review", None)]
