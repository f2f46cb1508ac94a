"""The edge between contracts and the domain: a registered claim as the facts the rules look at.

Eligibility never opens a claim's contact or bank fields: intake sealed them, and the rules need none of them (the
IBAN is compared by its fingerprint, which travels beside the claim). It keeps the claim as received, sealed values
included, to pass the bank fields on unopened when it approves the claim; once erased they read null.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from guichet_common.contracts import SubmittedClaim
from guichet_common.contracts.base import Contract
from guichet_common.contracts.claim_submitted import Address, Applicant
from guichet_common.contracts.internal import RegisteredClaim, SealedText
from guichet_eligibility.domain import ClaimFacts, InvoiceFacts

CONTACT_FIELDS = ("full_name", "email", "phone")
BANK_FIELDS = ("iban", "bic", "holder_name")
Path = tuple[str, ...]
# Where each kind of personal data sits in the stored payload (what an erasure of that kind nulls). With the contact
# go the applicant's name and street address, in clear: a sole trader's are a person's (a firm named after its
# owner, their home), and no rule reads them (the postcode and city stay).
ERASABLE: dict[str, tuple[tuple[Path, tuple[str, ...]], ...]] = {
    "contact": (
        (("contact",), CONTACT_FIELDS),
        (("applicant",), ("legal_name",)),
        (("applicant", "address"), ("line1", "line2")),
    ),
    "bank": ((("bank_account",), BANK_FIELDS),),
}


class StoredContact(Contract):
    full_name: SealedText | None = None
    email: SealedText | None = None
    phone: SealedText | None = None


class StoredBankAccount(Contract):
    iban: SealedText | None = None
    bic: SealedText | None = None
    holder_name: SealedText | None = None


class StoredAddress(Address):
    line1: Annotated[str, Field(min_length=1, max_length=200)] | None = None  # type: ignore[assignment]


class StoredApplicant(Applicant):
    legal_name: Annotated[str, Field(min_length=1, max_length=200)] | None = None  # type: ignore[assignment]
    address: StoredAddress


class StoredClaim(RegisteredClaim):
    """A registered claim as eligibility keeps it: its sealed values as received (in clear for a claim registered
    before sealing), each null once erased, and so are the applicant's name and street address."""

    applicant: StoredApplicant
    contact: StoredContact  # type: ignore[assignment]
    bank_account: StoredBankAccount  # type: ignore[assignment]


def stored_claim(payload: Mapping[str, Any]) -> StoredClaim:
    # Our own stored JSON: dates come back as strings, hence the lax (non-strict) validation here.
    return StoredClaim.model_validate(payload, strict=False)


def claim_facts(claim: SubmittedClaim, iban_fingerprint: str | None = None) -> ClaimFacts:
    """The facts of `claim`; its IBAN is known only by `iban_fingerprint` (None: the claim shares it with nobody)."""
    applicant = claim.applicant
    return ClaimFacts(
        claim_id=claim.claim_id,
        programme=claim.programme,
        siren=applicant.siren,
        submitted_at=claim.submitted_at,
        headcount=applicant.headcount,
        turnover_excl_tax_cents=applicant.annual_turnover_cents,
        activity_started_on=applicant.activity_started_on,
        naf_code=applicant.naf_code,
        postcode=applicant.address.postcode,
        closed_to_public=applicant.closed_to_public_since_2020_10_30,
        registered_rcs_rm=applicant.registered_rcs_rm,
        manager_full_time_employee=applicant.manager_full_time_employee_since_2020_10_30,
        declarations=tuple(claim.declarations.model_dump().items()),
        filed_by_kind=claim.filed_by.kind,
        iban_fingerprint=iban_fingerprint,
        invoices=tuple(
            InvoiceFacts(
                number=invoice.invoice_number,
                issued_on=invoice.issued_on,
                supplier_siren=invoice.supplier_siren,
                supplier_vat=invoice.supplier_vat_number,
                excl_tax_cents=invoice.amount_excl_tax_cents,
                incl_tax_cents=invoice.amount_incl_tax_cents,
                category=invoice.category,
            )
            for invoice in claim.invoices
        ),
    )
