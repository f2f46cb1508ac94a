"""The back-office's review decisions (`ReviewCommands`) on the fake unit of work: applied through the review use
case with the person's login and reason, answered once each, refused (as an outcome) when the claim is not awaiting
review or when an approval despite a fraud signal lacks a second person."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

import pytest

from guichet_common.contracts.backoffice import CommandOutcomeV1, ReviewDecisionV1
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_eligibility.domain.rules import RuleResult
from guichet_eligibility.review_commands import ReviewCommands
from guichet_eligibility.service import EligibilityService

from .fakes import PROGRAMMES, FakeEligibilityUnitOfWork, claim, registered, statuses, subscriptions

_, CLAIMS = subscriptions(EligibilityService(programmes=PROGRAMMES, registry_grace=dt.timedelta(0)))
CLAIM_ID = "CFN-2021-0000123"
REVIEWS = Subscription(ReviewCommands(PROGRAMMES).apply, contract(ReviewDecisionV1))


def decision(**fields: Any) -> ReviewDecisionV1:
    values: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "occurred_at": dt.datetime.now(dt.UTC),
        "claim_id": CLAIM_ID,
        "decision": "approve",
        "decided_by": "alice",
        "reason": "company confirmed by its Kbis",
    }
    return ReviewDecisionV1.model_validate(values | fields, strict=False)


async def under_review(*fraud_signals: str) -> FakeEligibilityUnitOfWork:
    """A claim of a company the registry does not know (sent to review at once), with these fraud signals too."""
    uow = FakeEligibilityUnitOfWork()
    await CLAIMS.apply(uow, [registered(claim(CLAIM_ID))])
    row = uow.claims.rows[CLAIM_ID]
    signals = tuple(RuleResult(code, False, {}, sends_to_review=True) for code in fraud_signals)
    assert row.decision is not None
    row.decision = dataclasses.replace(row.decision, results=(*row.decision.results, *signals))
    uow.committed.clear()
    return uow


async def answer(uow: FakeEligibilityUnitOfWork, *sent: ReviewDecisionV1) -> list[CommandOutcomeV1]:
    records = [
        InboundRecord("backoffice.review-decisions.v1", 0, n, None, d.model_dump_json().encode())
        for n, d in enumerate(sent)
    ]
    await REVIEWS.apply(uow, records)
    return [
        CommandOutcomeV1.model_validate_json(m.value)
        for m in uow.committed
        if m.topic == "operations.command-outcomes.v1"
    ]


async def test_an_approval_is_applied_as_the_person_s_and_answered_once() -> None:
    uow = await under_review()
    sent = decision()
    [outcome] = await answer(uow, sent, sent)  # the same command twice: the inbox keeps one
    await answer(uow, sent)
    assert (outcome.command_id, outcome.service, outcome.outcome) == (sent.event_id, "eligibility", "applied")
    row = uow.claims.rows[CLAIM_ID]
    assert (row.status, row.review, row.seconded_by) == ("approved", ("approved", "alice", sent.reason), None)
    assert statuses(uow) == [(CLAIM_ID, "approved", [])]


async def test_a_decision_on_a_claim_decided_already_is_refused_not_dead_lettered() -> None:
    uow = await under_review()
    first, second = decision(decision="reject"), decision()
    applied, refused = await answer(uow, first, second)
    assert (applied.outcome, refused.outcome) == ("applied", "refused")
    assert "not awaiting review" in refused.detail
    assert [m.topic for m in uow.committed if m.topic.endswith(".dlq")] == []
    assert statuses(uow) == [(CLAIM_ID, "rejected", ["REJECTED_AFTER_REVIEW"])]


@pytest.mark.parametrize("seconded_by", [None, "alice", "ALICE"])
async def test_approving_despite_a_fraud_signal_needs_a_second_person(seconded_by: str | None) -> None:
    uow = await under_review("INVOICE_REUSED")
    [outcome] = await answer(uow, decision(seconded_by=seconded_by))
    assert outcome.outcome == "refused" and "quatre yeux" in outcome.detail
    assert uow.claims.rows[CLAIM_ID].status == "under_review"
    assert statuses(uow) == [] and len(uow.committed) == 1  # the outcome alone


async def test_a_seconded_approval_despite_a_fraud_signal_is_applied_with_both_names() -> None:
    uow = await under_review("IBAN_SHARED")
    [outcome] = await answer(uow, decision(seconded_by="bob"))
    assert outcome.outcome == "applied"
    row = uow.claims.rows[CLAIM_ID]
    assert (row.status, row.review[1], row.seconded_by) == ("approved", "alice", "bob")
    judgement = next(json.loads(m.value) for m in uow.committed if m.topic == "eligibility.judgements.v1")
    assert judgement["decided_by"] == "alice"


async def test_rejecting_despite_a_fraud_signal_needs_one_person() -> None:
    uow = await under_review("INVOICE_REUSED")
    [outcome] = await answer(uow, decision(decision="reject"))
    assert outcome.outcome == "applied"


async def test_a_decision_on_an_unknown_claim_is_refused() -> None:
    uow = await under_review()
    [outcome] = await answer(uow, decision(claim_id="CFN-NOPE"))
    assert outcome.outcome == "refused" and "no claim" in outcome.detail
