"""The facts every approval carries for payments' post-payment controls (ClaimDecidedV1): the codes that sent the
claim to a person's review, whether a person approved it, and its invoices' supplier SIRENs (distinct, sorted).
Read back through the contract, on the rules' path and on a person's review."""

from __future__ import annotations

import datetime as dt

from guichet_common.contracts import ClaimDecidedV1
from guichet_eligibility.review import ReviewDecision, review_decision
from guichet_eligibility.service import EligibilityService

from .fakes import CLAIM, PROGRAMMES, FakeEligibilityUnitOfWork, claim, company, registered, subscriptions

REGISTRY, CLAIMS = subscriptions(EligibilityService(programmes=PROGRAMMES, registry_grace=dt.timedelta(0)))


def approvals(uow: FakeEligibilityUnitOfWork) -> list[ClaimDecidedV1]:
    return [ClaimDecidedV1.model_validate_json(m.value) for m in uow.committed if m.topic == "eligibility.decisions.v1"]


def with_suppliers(claim_id: str, siren: str, *suppliers: str | None):
    """The example claim with one invoice per supplier SIREN given (None: an invoice without a supplier SIREN)."""
    [template, *_] = CLAIM.invoices
    amount = template.amount_excl_tax_cents // len(suppliers)
    invoices = [
        template.model_copy(
            update={
                "invoice_number": f"INV-{n}",
                "supplier_siren": supplier,
                "amount_excl_tax_cents": amount,
                "amount_incl_tax_cents": amount,
            }
        )
        for n, supplier in enumerate(suppliers)
    ]
    return claim(claim_id, siren=siren, invoices=invoices)


async def test_an_approval_by_the_rules_names_its_suppliers_and_no_review() -> None:
    uow = FakeEligibilityUnitOfWork()
    await REGISTRY.apply(uow, [company("642515712")])
    await CLAIMS.apply(
        uow, [registered(with_suppliers("CFN-2021-0000123", "642515712", "829836222", None, "735911281", "829836222"))]
    )
    [approved] = approvals(uow)
    assert (approved.reviewed_reasons, approved.approved_by_person) == ([], False)
    assert approved.supplier_sirens == ["735911281", "829836222"]


async def test_the_example_claim_names_the_one_supplier_siren_it_gives() -> None:
    uow = FakeEligibilityUnitOfWork()
    await REGISTRY.apply(uow, [company("642515712")])
    await CLAIMS.apply(uow, [registered(claim("CFN-2021-0000123"))])
    [approved] = approvals(uow)
    assert approved.supplier_sirens == ["735911281"]


async def test_an_approval_after_review_names_why_it_was_reviewed_and_that_a_person_approved_it() -> None:
    uow = FakeEligibilityUnitOfWork()  # no registry record: the rules send the claim to review
    await CLAIMS.apply(uow, [registered(with_suppliers("CFN-2021-0000999", "333333334", "829836222"))])
    assert approvals(uow) == []
    await review_decision(uow, PROGRAMMES, ReviewDecision("CFN-2021-0000999", "approved", "alice", "Kbis checked"))
    [approved] = approvals(uow)
    assert (approved.reviewed_reasons, approved.approved_by_person) == (["REGISTRY_NO_RECORD"], True)
    assert approved.supplier_sirens == ["829836222"]
