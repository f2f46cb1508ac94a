"""On real PostgreSQL: each decision's judgement is written to the outbox in the decision's own transaction, with
every rule's result as stored; a review decision's judgement carries the rules read back from the database and the
person who decided."""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest

from guichet_common.contracts import EXAMPLES, ClaimRegisteredV1, ClaimSubmittedV1
from guichet_common.contracts.backoffice import JudgementV1
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.settings import project_root
from guichet_common.unit_of_work import open_unit_of_work
from guichet_eligibility import review
from guichet_eligibility.handlers import EligibilityHandlers
from guichet_eligibility.service import EligibilityService
from guichet_eligibility.unit_of_work import EligibilityUnitOfWork
from guichet_programme import load_programmes

from .sealed_claims import registered_event

pytestmark = pytest.mark.integration
PROGRAMMES = load_programmes(project_root() / "programmes")
CLAIM = ClaimSubmittedV1.model_validate_json((EXAMPLES / "claims.submitted.v1.json").read_bytes()).claim
CLAIMS_FEED = Subscription(
    EligibilityHandlers(EligibilityService(programmes=PROGRAMMES, topic_prefix="t.")).claims_registered,
    contract(ClaimRegisteredV1),
)


def registered(claim_id: str) -> InboundRecord:
    claim = CLAIM.model_copy(update={"claim_id": claim_id})
    event = registered_event(
        event_id=uuid.uuid4(), occurred_at=CLAIM.submitted_at, correlation_id=uuid.uuid4(), claim=claim
    )
    return InboundRecord("intake.claims-registered.v1", 0, 0, b"k", event.model_dump_json().encode())


async def judgements(pool: asyncpg.Pool) -> list[tuple[bytes, JudgementV1]]:
    rows = await pool.fetch("SELECT key, value FROM outbox WHERE topic = 't.eligibility.judgements.v1' ORDER BY id")
    return [(bytes(r["key"]), JudgementV1.model_validate_json(r["value"])) for r in rows]


async def test_a_decision_and_a_review_decision_each_publish_their_judgement(eligibility_pool: asyncpg.Pool) -> None:
    async with open_unit_of_work(eligibility_pool, EligibilityUnitOfWork) as uow:
        # The deadline job judges it (no registry record in this database): under review, REGISTRY_NO_RECORD.
        await CLAIMS_FEED.apply(uow, [registered("CLAIM-0042")])
    async with open_unit_of_work(eligibility_pool, EligibilityUnitOfWork) as uow:
        await eligibility_pool.execute("UPDATE claims SET registry_deadline = now() - interval '1 second'")
        await EligibilityService(programmes=PROGRAMMES, topic_prefix="t.").judge_past_registry_deadline(uow)
        await uow.commit()
    [(key, judged)] = await judgements(eligibility_pool)
    assert (key, judged.status, judged.reasons, judged.decided_by) == (
        b"CLAIM-0042",
        "under_review",
        ["REGISTRY_NO_RECORD"],
        None,
    )
    stored = await eligibility_pool.fetchval("SELECT rule_results FROM decisions WHERE claim_id = 'CLAIM-0042'")
    stored = json.loads(stored) if isinstance(stored, str) else stored
    assert [r.model_dump() for r in judged.rules] == [
        {"code": r["code"], "passed": r["passed"], "observed": r["observed"]} for r in stored
    ]

    choice = review.ReviewDecision("CLAIM-0042", "rejected", "alice", "no such company")
    async with eligibility_pool.acquire() as conn, conn.transaction():
        await review.decide(conn, PROGRAMMES, choice, topic_prefix="t.")
    [_, (key, decided)] = await judgements(eligibility_pool)
    assert (key, decided.status, decided.reasons, decided.decided_by) == (
        b"CLAIM-0042",
        "rejected",
        ["REJECTED_AFTER_REVIEW"],
        "alice",
    )
    assert decided.rules == judged.rules and decided.rule_version == judged.rule_version
