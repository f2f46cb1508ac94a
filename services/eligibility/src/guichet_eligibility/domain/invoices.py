"""Which invoices count towards the minimum spend and the grant, and why the others do not."""

from __future__ import annotations

from dataclasses import dataclass

from guichet_eligibility.domain.facts import InvoiceFacts, Subject


@dataclass(frozen=True)
class InvoiceVerdict:
    invoice: InvoiceFacts
    why_not: str | None  # None: eligible

    @property
    def eligible(self) -> bool:
        return self.why_not is None


def judge_invoice(s: Subject, invoice: InvoiceFacts) -> InvoiceVerdict:
    rules = s.programme.invoices
    submitted_on = s.local_submission.date()
    if not rules.earliest <= invoice.issued_on <= rules.latest:
        why = f"dated {invoice.issued_on}, outside {rules.earliest}..{rules.latest}"
    elif invoice.issued_on > submitted_on:
        why = f"dated {invoice.issued_on}, after the claim ({submitted_on})"
    elif invoice.supplier_siren == s.claim.siren:
        why = "issued by the applicant itself"
    elif invoice.category not in rules.eligible_categories:
        why = f"category {invoice.category} not covered"
    elif (
        invoice.category == rules.support_category and invoice.supplier_siren not in rules.referenced_support_providers
    ):
        why = "support from a provider that is not referenced"
    else:
        why = None
    return InvoiceVerdict(invoice, why)


def eligible_invoices(s: Subject) -> tuple[InvoiceVerdict, ...]:
    return tuple(judge_invoice(s, invoice) for invoice in s.claim.invoices)


def eligible_totals(s: Subject) -> tuple[int, int]:
    """(incl. tax, excl. tax) sums of the eligible invoices, in cents."""
    kept = [v.invoice for v in eligible_invoices(s) if v.eligible]
    return sum(i.incl_tax_cents for i in kept), sum(i.excl_tax_cents for i in kept)
