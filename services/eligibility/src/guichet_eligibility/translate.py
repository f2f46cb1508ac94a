"""The edge between contracts and the domain: a submitted claim as the facts the rules look at."""

from __future__ import annotations

from guichet_common.contracts import SubmittedClaim
from guichet_eligibility.domain import ClaimFacts, InvoiceFacts


def compact_iban(iban: str) -> str:
    return iban.replace(" ", "").upper()


def claim_facts(claim: SubmittedClaim) -> ClaimFacts:
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
        iban=compact_iban(claim.bank_account.iban),
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
