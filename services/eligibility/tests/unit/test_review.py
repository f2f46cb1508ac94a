"""Manual review (`review_decision`) on the fake unit of work: an operator's decision is recorded, announced in one
commit, and final; an approval pays what the rules would grant the claim."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from guichet_eligibility.review import ReviewDecision, ReviewRefused, review_decision
from guichet_eligibility.service import EligibilityService

from .fakes import PROGRAMMES, FakeEligibilityUnitOfWork, claim, registered, subscriptions

_, CLAIMS = subscriptions(EligibilityService(programmes=PROGRAMMES, registry_grace=dt.timedelta(0)))
APPROVE = ReviewDecision("CFN-2021-0000123", "approved", "alice", "company confirmed by its Kbis")


async def under_review(*claims) -> FakeEligibilityUnitOfWork:
    """Claims of companies the registry does not know: sent to review at once (no grace)."""
    uow = FakeEligibilityUnitOfWork()
    await CLAIMS.apply(uow, [registered(c) for c in claims])
    uow.committed.clear()
    return uow


def announced(uow: FakeEligibilityUnitOfWork) -> list[tuple[str, dict]]:
    """What the portal and payments are told (the back-office's judgement: test_judgements.py)."""
    return [(m.topic, json.loads(m.value)) for m in uow.committed if m.topic != "eligibility.judgements.v1"]


async def test_an_approval_is_recorded_announced_with_the_grant_and_committed() -> None:
    uow = await under_review(claim("CFN-2021-0000123"))
    await review_decision(uow, PROGRAMMES, APPROVE)
    assert uow.commits == 2  # the claim's registration, then the decision
    [(status_topic, status), (decision_topic, decision)] = announced(uow)
    assert (status_topic, status["status"], status["reasons"], status["amount_cents"]) == (
        "claims.status.v1",
        "approved",
        [],
        50_000,
    )
    assert (decision_topic, decision["grant_amount_cents"]) == ("eligibility.decisions.v1", 50_000)
    row = uow.claims.rows["CFN-2021-0000123"]
    assert (row.status, row.review) == ("approved", ("approved", "alice", "company confirmed by its Kbis"))


async def test_a_rejection_is_announced_with_its_own_reason_and_is_final() -> None:
    uow = await under_review(claim("CFN-2021-0000123"))
    await review_decision(uow, PROGRAMMES, dataclasses.replace(APPROVE, decision="rejected"))
    [(_, status)] = announced(uow)
    assert (status["status"], status["reasons"]) == ("rejected", ["REJECTED_AFTER_REVIEW"])
    with pytest.raises(ReviewRefused, match="final"):
        await review_decision(uow, PROGRAMMES, APPROVE)


@pytest.mark.parametrize(
    ("choice", "refusal"),
    [
        (dataclasses.replace(APPROVE, reason=" "), "reason"),
        (dataclasses.replace(APPROVE, operator=""), "operator"),
        (dataclasses.replace(APPROVE, decision="maybe"), "approved or rejected"),
        (dataclasses.replace(APPROVE, claim_id="CFN-NOPE"), "no claim"),
    ],
)
async def test_a_decision_that_cannot_be_taken_changes_nothing(choice: ReviewDecision, refusal: str) -> None:
    uow = await under_review(claim("CFN-2021-0000123"))
    with pytest.raises(ReviewRefused, match=refusal):
        await review_decision(uow, PROGRAMMES, choice)
    assert uow.committed == [] and uow.published == []
    assert uow.claims.rows["CFN-2021-0000123"].status == "under_review"
