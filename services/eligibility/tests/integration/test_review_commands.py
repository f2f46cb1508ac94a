"""The back-office's review decisions on real PostgreSQL: applied once through eligibility's inbox, recorded with
both names under four eyes, refused (an outcome, not a dead letter) when they cannot be taken."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
import pytest

from guichet_common.contracts.backoffice import CommandOutcomeV1, ReviewDecisionV1
from guichet_common.outbox import queued_messages
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_eligibility.review_commands import ReviewCommands

from .test_review_and_whatif import CLAIMS_FEED, PROGRAMMES, REGISTRY_FEED, company, registered, run

pytestmark = pytest.mark.integration
REVIEWS = Subscription(ReviewCommands(PROGRAMMES).apply, contract(ReviewDecisionV1))
OTHER_IBAN = "FR7630006000011234567890189"


def decision(claim_id: str, **fields: Any) -> ReviewDecisionV1:
    values: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "occurred_at": dt.datetime.now(dt.UTC),
        "claim_id": claim_id,
        "decision": "approve",
        "decided_by": "alice",
        "reason": "the supplier confirmed both invoices",
    }
    return ReviewDecisionV1.model_validate(values | fields, strict=False)


async def answer(pool: asyncpg.Pool, *sent: ReviewDecisionV1) -> list[tuple[uuid.UUID, str, str]]:
    records = [
        InboundRecord("backoffice.review-decisions.v1", 0, n, None, d.model_dump_json().encode())
        for n, d in enumerate(sent)
    ]
    await run(pool, REVIEWS, *records)
    async with pool.acquire() as conn:
        queued = await queued_messages(conn, "operations.command-outcomes.v1")
    outcomes = [CommandOutcomeV1.model_validate_json(m.value) for m in queued]
    return [(o.command_id, o.outcome, o.detail) for o in outcomes]


async def reused_invoice_under_review(pool: asyncpg.Pool) -> str:
    for siren in ("111111118", "444444442"):
        await run(pool, REGISTRY_FEED, company(siren))
    await run(pool, CLAIMS_FEED, registered("CLAIM-0001", "111111118"))
    await run(pool, CLAIMS_FEED, registered("CLAIM-0004", "444444442", iban=OTHER_IBAN))  # C-1's invoices
    assert await pool.fetchval("SELECT status FROM claims WHERE claim_id = 'CLAIM-0004'") == "under_review"
    return "CLAIM-0004"


async def test_an_approval_despite_a_reused_invoice_is_applied_once_seconded(eligibility_pool: asyncpg.Pool) -> None:
    claim_id = await reused_invoice_under_review(eligibility_pool)
    alone, seconded = decision(claim_id), decision(claim_id, seconded_by="bob")
    await answer(eligibility_pool, alone)
    outcomes = await answer(eligibility_pool, seconded, seconded)
    await answer(eligibility_pool, seconded)  # redelivered: the inbox knows it
    assert [(c, o) for c, o, _ in outcomes] == [(alone.event_id, "refused"), (seconded.event_id, "applied")]
    assert "INVOICE_REUSED" in outcomes[0][2]
    recorded = await eligibility_pool.fetchrow("SELECT decision, operator, seconded_by, reason FROM review_decisions")
    assert dict(recorded) == {
        "decision": "approved",
        "operator": "alice",
        "seconded_by": "bob",
        "reason": "the supplier confirmed both invoices",
    }
    assert await eligibility_pool.fetchval("SELECT status FROM claims WHERE claim_id = $1", claim_id) == "approved"
    assert await eligibility_pool.fetchval("SELECT count(*) FROM outbox WHERE topic = 'eligibility.decisions.v1'") == 2


async def test_a_rejection_is_final_and_a_later_decision_is_refused(eligibility_pool: asyncpg.Pool) -> None:
    claim_id = await reused_invoice_under_review(eligibility_pool)
    rejection = decision(claim_id, decision="reject", reason="the invoices were already paid to another company")
    late = decision(claim_id, seconded_by="bob")
    outcomes = await answer(eligibility_pool, rejection, late)
    assert [o for _, o, _ in outcomes] == ["applied", "refused"]
    assert await eligibility_pool.fetchval("SELECT status FROM claims WHERE claim_id = $1", claim_id) == "rejected"
    assert await eligibility_pool.fetchval("SELECT count(*) FROM outbox WHERE topic LIKE '%.dlq'") == 0
