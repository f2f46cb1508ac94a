"""Registered claims (`claims_registered`) on the fake unit of work: each claim is judged once, in arrival order
within a batch, or waits for its company's registry record."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid

from structlog.testing import capture_logs

from guichet_eligibility.service import EligibilityService

from .fakes import (
    CLAIM,
    PROGRAMMES,
    FakeEligibilityUnitOfWork,
    claim,
    company,
    registered,
    statuses,
    subscriptions,
)

SERVICE = EligibilityService(programmes=PROGRAMMES)
REGISTRY, CLAIMS = subscriptions(SERVICE)
_, CLAIMS_NO_WAIT = subscriptions(dataclasses.replace(SERVICE, registry_grace=dt.timedelta(0)))
OTHER_IBAN = "FR7630006000011234567890189"


async def with_company(*sirens: str) -> FakeEligibilityUnitOfWork:
    uow = FakeEligibilityUnitOfWork()
    await REGISTRY.apply(uow, [company(siren) for siren in sirens])
    return uow


async def test_an_approval_is_announced_to_payments_and_a_second_claim_of_the_company_is_rejected() -> None:
    uow = await with_company("642515712")
    first = registered(claim("CFN-2021-0000123"))
    await CLAIMS.apply(uow, [first, first])
    await CLAIMS.apply(uow, [registered(claim("CFN-2021-0000999"))])
    assert statuses(uow) == [
        ("CFN-2021-0000123", "approved", []),
        ("CFN-2021-0000999", "rejected", ["ALREADY_AIDED"]),
    ]
    [approval] = [json.loads(m.value) for m in uow.committed if m.topic == "eligibility.decisions.v1"]
    assert (approval["claim_id"], approval["grant_amount_cents"]) == ("CFN-2021-0000123", 50_000)
    results = uow.claims.rows["CFN-2021-0000999"].decision.results
    assert [r.observed for r in results if r.code == "ALREADY_AIDED"] == [{"other_claims_of_the_company": 1}]


async def test_a_claim_is_judged_once_whatever_the_events_that_carry_it() -> None:
    uow = await with_company("642515712")
    event_id = uuid.uuid4()
    await CLAIMS.apply(uow, [registered(claim("CFN-2021-0000123"), event_id)])
    await CLAIMS.apply(uow, [registered(claim("CFN-2021-0000123"), event_id)])  # redelivered
    await CLAIMS.apply(uow, [registered(claim("CFN-2021-0000123")), registered(claim("CFN-2021-0000123"))])
    assert statuses(uow) == [("CFN-2021-0000123", "approved", [])]


async def test_a_claim_that_overtook_its_registry_record_waits_and_without_grace_goes_to_review() -> None:
    uow = FakeEligibilityUnitOfWork()
    with capture_logs() as logs:
        await CLAIMS.apply(uow, [registered(claim("CFN-2021-0000001"))])
    assert statuses(uow) == [] and uow.claims.rows["CFN-2021-0000001"].status == "awaiting_registry"
    assert [e["claim_id"] for e in logs if e["event"] == "claim_awaits_registry_record"] == ["CFN-2021-0000001"]
    without_grace = FakeEligibilityUnitOfWork()
    await CLAIMS_NO_WAIT.apply(without_grace, [registered(claim("CFN-2021-0000002"))])
    assert statuses(without_grace) == [("CFN-2021-0000002", "under_review", ["REGISTRY_NO_RECORD"])]


async def test_a_batch_is_judged_as_if_its_claims_came_one_by_one() -> None:
    uow = await with_company("642515712")
    await CLAIMS.apply(uow, [registered(claim("CFN-2021-0000009")), registered(claim("CFN-2021-0000001"))])
    assert statuses(uow) == [
        ("CFN-2021-0000009", "approved", []),
        ("CFN-2021-0000001", "rejected", ["ALREADY_AIDED"]),
    ]


async def test_a_claim_still_waiting_for_its_registry_record_keeps_its_company_s_place() -> None:
    uow = FakeEligibilityUnitOfWork()
    await CLAIMS.apply(uow, [registered(claim("CFN-2021-0000001"))])
    await uow.claims.mark_set_aside("CFN-2021-0000001")  # stuck: the record's arrival does not judge it
    await REGISTRY.apply(uow, [company("642515712")])
    await CLAIMS.apply(uow, [registered(claim("CFN-2021-0000002"))])
    assert statuses(uow) == [("CFN-2021-0000002", "rejected", ["ALREADY_AIDED"])]


async def test_a_shared_iban_and_a_reused_invoice_send_claims_to_review() -> None:
    sirens = ("111111118", "222222226", "333333334", "444444442")
    uow = await with_company(*sirens)
    invoices = [i.model_copy(update={"invoice_number": i.invoice_number + "-X"}) for i in CLAIM.invoices]
    other = [i.model_copy(update={"invoice_number": i.invoice_number + "-Y"}) for i in CLAIM.invoices]
    bank = CLAIM.bank_account.model_copy(update={"iban": OTHER_IBAN})
    await CLAIMS.apply(uow, [registered(claim("CLAIM-0001", sirens[0]))])
    await CLAIMS.apply(uow, [registered(claim("CLAIM-0002", sirens[1], invoices=invoices))])
    await CLAIMS.apply(uow, [registered(claim("CLAIM-0003", sirens[2], invoices=other))])
    await CLAIMS.apply(uow, [registered(claim("CLAIM-0004", sirens[3], bank_account=bank))])
    assert statuses(uow) == [
        ("CLAIM-0001", "approved", []),
        ("CLAIM-0002", "approved", []),
        ("CLAIM-0003", "under_review", ["IBAN_SHARED"]),
        ("CLAIM-0004", "under_review", ["INVOICE_REUSED"]),
    ]
