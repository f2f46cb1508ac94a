"""Which invoices count towards the minimum spend and the grant, and why the others do not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from guichet_eligibility.domain.facts import InvoiceFacts, Subject

InvoiceRejectionCode = Literal[
    "INVOICE_OUTSIDE_PERIOD",
    "INVOICE_AFTER_CLAIM",
    "INVOICE_FROM_APPLICANT",
    "INVOICE_CATEGORY_NOT_COVERED",
    "INVOICE_SUPPORT_NOT_REFERENCED",
]


@dataclass(frozen=True)
class InvoiceRejection:
    """Why an invoice does not count: a code and the values that decided it (the others stay None). Stored with
    the decision as a record (`as_record`), which the console's explanations render in French."""

    code: InvoiceRejectionCode
    issued_on: dt.date | None = None
    earliest: dt.date | None = None
    latest: dt.date | None = None
    submitted_on: dt.date | None = None
    category: str | None = None

    def as_record(self) -> dict[str, Any]:
        """The code and the values given, dates as ISO strings: JSON as stored in the decision's rule results."""
        values = {
            "issued_on": self.issued_on,
            "earliest": self.earliest,
            "latest": self.latest,
            "submitted_on": self.submitted_on,
            "category": self.category,
        }
        return {"code": self.code} | {
            name: value.isoformat() if isinstance(value, dt.date) else value
            for name, value in values.items()
            if value is not None
        }


@dataclass(frozen=True)
class InvoiceVerdict:
    invoice: InvoiceFacts
    why_not: InvoiceRejection | None  # None: eligible

    @property
    def eligible(self) -> bool:
        return self.why_not is None


def judge_invoice(s: Subject, invoice: InvoiceFacts) -> InvoiceVerdict:
    rules = s.programme.invoices
    submitted_on = s.local_submission.date()
    why: InvoiceRejection | None
    if not rules.earliest <= invoice.issued_on <= rules.latest:
        why = InvoiceRejection(
            "INVOICE_OUTSIDE_PERIOD", issued_on=invoice.issued_on, earliest=rules.earliest, latest=rules.latest
        )
    elif invoice.issued_on > submitted_on:
        why = InvoiceRejection("INVOICE_AFTER_CLAIM", issued_on=invoice.issued_on, submitted_on=submitted_on)
    elif invoice.supplier_siren == s.claim.siren:
        why = InvoiceRejection("INVOICE_FROM_APPLICANT")
    elif invoice.category not in rules.eligible_categories:
        why = InvoiceRejection("INVOICE_CATEGORY_NOT_COVERED", category=invoice.category)
    elif (
        invoice.category == rules.support_category and invoice.supplier_siren not in rules.referenced_support_providers
    ):
        why = InvoiceRejection("INVOICE_SUPPORT_NOT_REFERENCED")
    else:
        why = None
    return InvoiceVerdict(invoice, why)


def eligible_invoices(s: Subject) -> tuple[InvoiceVerdict, ...]:
    return tuple(judge_invoice(s, invoice) for invoice in s.claim.invoices)


def eligible_totals(s: Subject) -> tuple[int, int]:
    """(incl. tax, excl. tax) sums of the eligible invoices, in cents."""
    kept = [v.invoice for v in eligible_invoices(s) if v.eligible]
    return sum(i.incl_tax_cents for i in kept), sum(i.excl_tax_cents for i in kept)
