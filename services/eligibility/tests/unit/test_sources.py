"""Whose claim a status is (issue 17): the `source` of the registered claim is kept with it, and every status and
decision eligibility announces carries it, whether the claim is judged on arrival, after waiting for its registry
record, or by an operator. A claim registered before the field existed has none."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from guichet_eligibility.review import ReviewDecision, review_decision
from guichet_eligibility.service import EligibilityService

from .fakes import PROGRAMMES, FakeEligibilityUnitOfWork, claim, company, registered, subscriptions

SERVICE = EligibilityService(programmes=PROGRAMMES)
REGISTRY, CLAIMS = subscriptions(SERVICE)
_, CLAIMS_NO_WAIT = subscriptions(dataclasses.replace(SERVICE, registry_grace=dt.timedelta(0)))


def sources(uow: FakeEligibilityUnitOfWork, topic: str) -> list[tuple[str, str | None]]:
    values = [json.loads(m.value) for m in uow.committed if m.topic == topic]
    return [(value["claim_id"], value.get("source")) for value in values]


async def test_a_claim_judged_on_arrival_is_announced_with_its_source_to_the_portal_and_to_payments() -> None:
    uow = FakeEligibilityUnitOfWork()
    await REGISTRY.apply(uow, [company("642515712")])
    await CLAIMS.apply(uow, [registered(claim("CFN-2021-0000123"), source="beta")])
    assert sources(uow, "claims.status.v1") == [("CFN-2021-0000123", "beta")]
    assert sources(uow, "eligibility.decisions.v1") == [("CFN-2021-0000123", "beta")]
    assert uow.claims.rows["CFN-2021-0000123"].source == "beta"


async def test_a_claim_that_waited_for_its_registry_record_keeps_its_source() -> None:
    uow = FakeEligibilityUnitOfWork()
    await CLAIMS.apply(uow, [registered(claim("CFN-2021-0000123"), source="beta")])
    assert sources(uow, "claims.status.v1") == []
    await REGISTRY.apply(uow, [company("642515712")])
    assert sources(uow, "claims.status.v1") == [("CFN-2021-0000123", "beta")]


async def test_an_operator_s_decision_carries_the_claim_s_source() -> None:
    uow = FakeEligibilityUnitOfWork()
    await CLAIMS_NO_WAIT.apply(uow, [registered(claim("CFN-2021-0000123"), source="beta")])
    assert sources(uow, "claims.status.v1") == [("CFN-2021-0000123", "beta")]  # under review
    uow.committed.clear()
    await review_decision(uow, PROGRAMMES, ReviewDecision("CFN-2021-0000123", "approved", "alice", "Kbis vu"))
    assert sources(uow, "claims.status.v1") == [("CFN-2021-0000123", "beta")]
    assert sources(uow, "eligibility.decisions.v1") == [("CFN-2021-0000123", "beta")]


async def test_a_claim_registered_without_a_source_is_announced_without_one() -> None:
    uow = FakeEligibilityUnitOfWork()
    await REGISTRY.apply(uow, [company("642515712")])
    await CLAIMS.apply(uow, [registered(claim("CFN-2021-0000123"))])
    assert sources(uow, "claims.status.v1") == [("CFN-2021-0000123", None)]
