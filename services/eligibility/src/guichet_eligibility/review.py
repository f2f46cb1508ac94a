"""Manual review: an operator approves or rejects a claim sent to review, with a written reason. Final."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog

from guichet_common.contracts.status import ClaimStatus
from guichet_eligibility import domain
from guichet_eligibility.judgements import judgement_message
from guichet_eligibility.repository import PostgresClaims
from guichet_eligibility.service import announce
from guichet_eligibility.translate import claim_facts, stored_claim
from guichet_eligibility.unit_of_work import EligibilityWork, on_connection
from guichet_programme import Programme

log = structlog.get_logger()
REJECTED_AFTER_REVIEW = "REJECTED_AFTER_REVIEW"
# What an operator may decide, as the status it gives the claim.
REVIEW_STATUSES: dict[str, ClaimStatus] = {domain.APPROVED: "approved", domain.REJECTED: "rejected"}


class ReviewRefused(Exception):
    """The decision cannot be taken (unknown claim, not under review, already decided, missing reason)."""


@dataclass(frozen=True)
class ReviewDecision:
    claim_id: str
    decision: str  # "approved" | "rejected"
    operator: str
    reason: str
    seconded_by: str | None = None  # the second person, when four eyes were required (back-office decisions)


async def under_review(conn: asyncpg.Connection, programme: str | None = None) -> list[asyncpg.Record]:
    return await PostgresClaims(conn).under_review(programme)


async def decide(
    conn: asyncpg.Connection, programmes: Mapping[str, Programme], choice: ReviewDecision, topic_prefix: str = ""
) -> None:
    """The console's entry point: `review_decision` on `conn`, inside the caller's transaction."""
    async with on_connection(conn) as uow:
        await review_decision(uow, programmes, choice, topic_prefix)


async def review_decision(
    uow: EligibilityWork, programmes: Mapping[str, Programme], choice: ReviewDecision, topic_prefix: str = ""
) -> None:
    """Record the operator's decision and announce it, in one commit (`apply_review`, then the commit)."""
    await apply_review(uow, programmes, choice, topic_prefix)
    await uow.commit()


async def apply_review(
    uow: EligibilityWork, programmes: Mapping[str, Programme], choice: ReviewDecision, topic_prefix: str = ""
) -> None:
    """Record the operator's decision and queue its announcements, without committing: the back-office's decisions
    come in batches, applied in the consumer's transaction (`review_commands`). An approval pays what the rules
    would grant the claim: it is judged again (`domain.judge`, as the service and what-if judge) for that amount."""
    status = REVIEW_STATUSES.get(choice.decision)
    if status is None:
        raise ReviewRefused(f"decision must be approved or rejected, not {choice.decision!r}")
    if not choice.operator.strip() or not choice.reason.strip():
        raise ReviewRefused("an operator identity and a written reason are both required")
    found = await uow.claims.with_decision(choice.claim_id, lock=True)
    if found is None:
        raise ReviewRefused(f"no claim {choice.claim_id}")
    if found.status != domain.UNDER_REVIEW or found.reviewed or found.rule_version is None:
        raise ReviewRefused(f"claim {choice.claim_id} is {found.status}, not awaiting review; decisions are final")
    claim = stored_claim(found.payload)
    await uow.claims.record_review(
        choice.claim_id, choice.decision, choice.operator, choice.reason, seconded_by=choice.seconded_by
    )
    grant, reasons = 0, [REJECTED_AFTER_REVIEW]
    if status == domain.APPROVED:
        facts = claim_facts(claim, found.iban_fingerprint)
        registry = await uow.companies.registry_facts_for([facts.siren])
        ledger = domain.Ledger.of(await uow.claims.related_claims([facts]), ())
        [judgement] = domain.judge([facts], registry, ledger, programmes)
        grant, reasons = judgement.approval_grant_cents, []
    version, correlation_id = found.rule_version, found.correlation_id
    # An approval says a person gave it, and why the rules had sent the claim to them (payments' controls read both).
    approved = status == domain.APPROVED
    reviewed = found.reasons if approved else ()
    announced = announce(
        topic_prefix,
        claim,
        status,
        reasons,
        version,
        correlation_id,
        grant,
        source=found.source,
        reviewed_reasons=reviewed,
        approved_by_person=approved,
    )
    uow.publish(announced)
    # The rules' results are those the person saw (the decision that sent the claim to review).
    judged = judgement_message(
        topic_prefix,
        claim_id=claim.claim_id,
        programme=claim.programme,
        siren=claim.applicant.siren,
        status=status,
        rule_version=found.rule_version,
        reasons=reasons,
        rules=found.rule_results,
        grant_cents=grant if status == domain.APPROVED else None,
        now=datetime.now(UTC),
        decided_by=choice.operator,
    )
    uow.publish([judged])
    log.info("review_decided", claim_id=choice.claim_id, decision=choice.decision, operator=choice.operator)
