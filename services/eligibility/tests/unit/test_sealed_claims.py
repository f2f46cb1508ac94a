"""Eligibility never opens a claim's contact or bank fields: it keeps them sealed as received, passes the bank ones
on to payments unchanged, and compares IBANs by the fingerprint intake puts beside the claim."""

from __future__ import annotations

import json
import uuid

from guichet_common.contracts import ClaimRegisteredV1
from guichet_common.records import InboundRecord
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
SIRENS = ("111111118", "222222226", "333333334")
PERSONAL = (CLAIM.contact.email, CLAIM.contact.full_name, CLAIM.bank_account.iban, CLAIM.bank_account.holder_name)


def distinct_invoices(n: int) -> dict:
    return {"invoices": [i.model_copy(update={"invoice_number": f"{i.invoice_number}-{n}"}) for i in CLAIM.invoices]}


def before_sealing(n: int, siren: str) -> InboundRecord:
    """A claim as intake registered it before issue 18: in clear, without a fingerprint."""
    submitted = claim(f"OLD-CLAIM-{n:04d}", siren, **distinct_invoices(n))
    event = ClaimRegisteredV1.model_validate(
        {
            "event_id": uuid.uuid4(),
            "occurred_at": CLAIM.submitted_at,
            "correlation_id": uuid.uuid4(),
            "claim": submitted.model_dump(mode="json"),
        },
        strict=False,
    )
    return InboundRecord("intake.claims-registered.v1", 0, 0, siren.encode(), event.model_dump_json().encode())


async def with_companies() -> FakeEligibilityUnitOfWork:
    uow = FakeEligibilityUnitOfWork()
    await REGISTRY.apply(uow, [company(siren) for siren in SIRENS])
    return uow


async def test_an_approved_claim_is_kept_and_passed_on_sealed_as_received() -> None:
    uow = await with_companies()
    record = registered(claim("CLAIM-0001", SIRENS[0]))
    await CLAIMS.apply(uow, [record])
    received = json.loads(record.value or b"")["claim"]
    assert uow.claims.rows["CLAIM-0001"].payload == received
    [decided] = [json.loads(m.value or b"") for m in uow.committed if m.topic == "eligibility.decisions.v1"]
    bank = received["bank_account"]
    assert (decided["beneficiary_name"], decided["iban"], decided.get("bic")) == (
        bank["holder_name"],
        bank["iban"],
        bank["bic"],
    )
    assert decided["iban"].startswith("sealed:v1:bank:CLAIM-0001:")
    published = (
        b"".join(m.value or b"" for m in uow.committed) + json.dumps(uow.claims.rows["CLAIM-0001"].payload).encode()
    )
    assert not [value for value in PERSONAL if value.encode() in published]


async def test_iban_shared_compares_fingerprints_and_observes_no_iban() -> None:
    uow = await with_companies()
    for n, siren in enumerate(SIRENS):  # the programme reviews an IBAN from its third company
        await CLAIMS.apply(uow, [registered(claim(f"CLAIM-{n:04d}", siren, **distinct_invoices(n)))])
    assert statuses(uow)[-1] == ("CLAIM-0002", "under_review", ["IBAN_SHARED"])
    row = uow.claims.rows["CLAIM-0002"]
    assert row.decision is not None
    observed = json.dumps([result.observed for result in row.decision.results])
    assert not [value for value in PERSONAL if value in observed]
    assert "sealed:" not in observed and row.facts.iban_fingerprint not in observed


async def test_a_claim_registered_before_sealing_is_judged_and_shares_its_iban_with_nobody() -> None:
    uow = await with_companies()
    await CLAIMS.apply(uow, [before_sealing(1, SIRENS[0])])
    await CLAIMS.apply(uow, [registered(claim("CLAIM-0002", SIRENS[1], **distinct_invoices(2)))])
    await CLAIMS.apply(uow, [before_sealing(3, SIRENS[2])])
    assert statuses(uow) == [
        ("OLD-CLAIM-0001", "approved", []),
        ("CLAIM-0002", "approved", []),
        ("OLD-CLAIM-0003", "approved", []),
    ]
