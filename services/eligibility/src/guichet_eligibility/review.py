"""Manual review: an operator approves or rejects a claim sent to review, with a written reason. Final."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg
import structlog

from guichet_common.outbox import write_outbox
from guichet_eligibility import domain, repository
from guichet_eligibility.service import announce, stored_claim
from guichet_eligibility.translate import claim_facts
from guichet_programme import Programme

log = structlog.get_logger()
REJECTED_AFTER_REVIEW = "REJECTED_AFTER_REVIEW"


class ReviewRefused(Exception):
    """The decision cannot be taken (unknown claim, not under review, already decided, missing reason)."""


@dataclass(frozen=True)
class ReviewDecision:
    claim_id: str
    decision: str  # "approved" | "rejected"
    operator: str
    reason: str


async def under_review(conn: asyncpg.Connection, programme: str | None = None) -> list[asyncpg.Record]:
    return await repository.claims_under_review(conn, programme)


async def decide(
    conn: asyncpg.Connection, programmes: Mapping[str, Programme], choice: ReviewDecision, topic_prefix: str = ""
) -> None:
    """Record the operator's decision and announce it; call inside one transaction."""
    if choice.decision not in (domain.APPROVED, domain.REJECTED):
        raise ReviewRefused(f"decision must be approved or rejected, not {choice.decision!r}")
    if not choice.operator.strip() or not choice.reason.strip():
        raise ReviewRefused("an operator identity and a written reason are both required")
    row = await repository.claim_with_decision(conn, choice.claim_id, lock=True)
    if row is None:
        raise ReviewRefused(f"no claim {choice.claim_id}")
    if row["status"] != domain.UNDER_REVIEW or row["reviewed"]:
        raise ReviewRefused(f"claim {choice.claim_id} is {row['status']}, not awaiting review; decisions are final")
    claim = stored_claim(row)
    await repository.record_review(conn, choice.claim_id, choice.decision, choice.operator, choice.reason)
    if choice.decision == domain.APPROVED:
        facts = claim_facts(claim)
        subject = domain.subject_for(
            facts,
            await repository.registry_facts(conn, facts.siren),
            domain.history_from(
                domain.Ledger.of(await repository.related_claims(conn, [facts]), ()).prior_for(facts), facts
            ),
            programmes[claim.programme],
        )
        grant, reasons = domain.grant_for(subject), []
    else:
        grant, reasons = 0, [REJECTED_AFTER_REVIEW]
    await write_outbox(
        conn,
        announce(topic_prefix, claim, choice.decision, reasons, row["rule_version"], row["correlation_id"], grant),
    )
    log.info("review_decided", claim_id=choice.claim_id, decision=choice.decision, operator=choice.operator)
