"""The judgement each decision publishes for the back-office (`eligibility.judgements.v1`): one per claim judged, in
the same commit as its status, with every rule's result and the values it saw; and one for a person's review
decision, with who took it. Read back through the contract, JudgementV1."""

from __future__ import annotations

import dataclasses
import datetime as dt

from guichet_common.contracts.backoffice import JudgementV1
from guichet_eligibility.review import ReviewDecision, review_decision
from guichet_eligibility.service import EligibilityService

from .fakes import CLAIM, PROGRAMMES, FakeEligibilityUnitOfWork, claim, company, registered, subscriptions

REGISTRY, CLAIMS = subscriptions(EligibilityService(programmes=PROGRAMMES, registry_grace=dt.timedelta(0)))
REVIEW = ReviewDecision("CFN-2021-0000999", "approved", "alice", "Kbis checked")


def judgements(uow: FakeEligibilityUnitOfWork) -> list[JudgementV1]:
    return [JudgementV1.model_validate_json(m.value) for m in uow.committed if m.topic == "eligibility.judgements.v1"]


def unrelated(claim_id: str):
    """A claim of a company the registry does not know, with invoices of its own."""
    invoices = [i.model_copy(update={"invoice_number": f"{i.invoice_number}-X"}) for i in CLAIM.invoices]
    return claim(claim_id, siren="333333334", invoices=invoices)


async def judged(*batches: list) -> FakeEligibilityUnitOfWork:
    uow = FakeEligibilityUnitOfWork()
    await REGISTRY.apply(uow, [company("642515712")])
    for batch in batches:
        await CLAIMS.apply(uow, [registered(c) for c in batch])
    return uow


async def test_every_decision_of_the_rules_is_published_with_each_rule_and_what_it_saw() -> None:
    uow = await judged(
        [claim("CFN-2021-0000123"), claim("CFN-2021-0000124")],  # approved, then ALREADY_AIDED
        [unrelated("CFN-2021-0000999")],  # no registry record: review
    )
    approved, rejected, review = judgements(uow)
    assert [(j.claim_id, j.status, j.reasons) for j in (approved, rejected, review)] == [
        ("CFN-2021-0000123", "approved", []),
        ("CFN-2021-0000124", "rejected", ["ALREADY_AIDED"]),
        ("CFN-2021-0000999", "under_review", ["REGISTRY_NO_RECORD"]),
    ]
    assert (approved.programme, approved.siren, approved.rule_version) == (
        "cheque-france-num-2021",
        "642515712",
        "2021-01-28",
    )
    assert approved.grant_amount_cents == 50_000 and rejected.grant_amount_cents is None
    assert approved.decided_by is None
    stored = uow.claims.rows["CFN-2021-0000124"].decision
    assert stored is not None
    assert [(r.code, r.passed, r.observed) for r in rejected.rules] == [
        (r.code, r.passed, r.observed) for r in stored.results
    ]
    [aided] = [r for r in rejected.rules if r.code == "ALREADY_AIDED"]
    assert (aided.passed, aided.observed) == (False, {"other_claims_of_the_company": 1})
    [no_record] = [r for r in review.rules if r.code == "REGISTRY_NO_RECORD"]
    assert (no_record.passed, no_record.observed) == (False, {"siren": "333333334"})


async def test_the_judgement_is_keyed_by_the_claim_and_committed_with_the_status() -> None:
    uow = await judged([claim("CFN-2021-0000123")])
    assert [(m.topic, m.key) for m in uow.committed] == [
        ("claims.status.v1", b"CFN-2021-0000123"),
        ("eligibility.decisions.v1", b"642515712"),
        ("eligibility.judgements.v1", b"CFN-2021-0000123"),
    ]
    assert uow.commits == 2  # the registry record, then the claim: the judgement went with the claim's commit


async def test_a_review_decision_is_published_with_the_person_who_took_it_and_the_rules_they_saw() -> None:
    uow = await judged([claim("CFN-2021-0000999", siren="333333334")])
    [sent_to_review] = judgements(uow)
    uow.committed.clear()
    await review_decision(uow, PROGRAMMES, REVIEW)
    [decided] = judgements(uow)
    assert (decided.claim_id, decided.status, decided.reasons, decided.decided_by) == (
        "CFN-2021-0000999",
        "approved",
        [],
        "alice",
    )
    assert decided.grant_amount_cents == 50_000
    assert (decided.rule_version, decided.rules) == (sent_to_review.rule_version, sent_to_review.rules)
    assert decided.event_id != sent_to_review.event_id


async def test_a_rejection_after_review_is_published_with_its_reason_and_no_grant() -> None:
    uow = await judged([claim("CFN-2021-0000999", siren="333333334")])
    uow.committed.clear()
    await review_decision(uow, PROGRAMMES, dataclasses.replace(REVIEW, decision="rejected", operator="bob"))
    [decided] = judgements(uow)
    assert (decided.status, decided.reasons, decided.grant_amount_cents, decided.decided_by) == (
        "rejected",
        ["REJECTED_AFTER_REVIEW"],
        None,
        "bob",
    )
