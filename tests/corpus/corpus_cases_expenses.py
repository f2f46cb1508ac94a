"""Corpus cases: invoices and the minimum eligible spend (EXPENSES_BELOW_MINIMUM).

Called by `cases.py`, in its order: cases get their identifiers from `IDS` in construction order.
"""

from __future__ import annotations

from corpus_builders import (
    case,
    claim,
    company,
    invoice,
    registry,
    simple,
    tested_invoice,
    two_invoices,
)
from corpus_model import (
    APPROVED,
    NOT_REFERENCED_PROVIDER,
    REFERENCED_PROVIDERS,
    V2_AT,
    rejected,
)


def build_expense_cases() -> None:
    # ------------------------------------------------------------------------------ EXPENSES_BELOW_MINIMUM
    simple(
        "expenses: 44,999 cents incl. tax",
        "minimum eligible spend | 45,000 cents incl. tax",
        rejected("EXPENSES_BELOW_MINIMUM"),
        invoices=lambda co: [invoice(co, "A1", incl=30_000), invoice(co, "A2", incl=14_999, issued_on="2021-01-10")],
    )
    simple(
        "expenses: exactly 45,000 cents incl. tax (37,500 excl.)",
        "summed over eligible invoices",
        APPROVED,
        invoices=lambda co: [
            invoice(co, "A1", incl=30_000, excl=25_000),
            invoice(co, "A2", incl=15_000, excl=12_500, issued_on="2021-01-10"),
        ],
    )
    simple(
        "invoice dated 2020-10-29 is ineligible",
        "invoice date window | 2020-10-30 to 2021-06-30 inclusive",
        rejected("EXPENSES_BELOW_MINIMUM"),
        invoices=two_invoices(tested_invoice(issued_on="2020-10-29")),
    )
    simple(
        "invoice dated 2020-10-30 is eligible",
        "invoice date window | 2020-10-30 to 2021-06-30 inclusive",
        APPROVED,
        invoices=two_invoices(tested_invoice(issued_on="2020-10-30")),
    )
    simple(
        "invoice dated 2021-06-30 is eligible",
        "invoice date window | 2020-10-30 to 2021-06-30 inclusive",
        APPROVED,
        submitted_at="2021-07-05T09:00:00+02:00",
        invoices=two_invoices(tested_invoice(issued_on="2021-06-30")),
    )
    simple(
        "invoice dated 2021-07-01 is ineligible",
        "invoice date window | 2020-10-30 to 2021-06-30 inclusive",
        rejected("EXPENSES_BELOW_MINIMUM"),
        submitted_at="2021-07-05T09:00:00+02:00",
        invoices=two_invoices(tested_invoice(issued_on="2021-07-01")),
    )
    simple(
        "invoice dated the day after submission is ineligible",
        "never after the claim's `submitted_at` date",
        rejected("EXPENSES_BELOW_MINIMUM"),
        invoices=two_invoices(tested_invoice(issued_on="2021-03-03")),
    )
    simple(
        "invoice dated the Paris day of submission (UTC day before) is eligible",
        "never after the claim's `submitted_at` date; judged in Europe/Paris",
        APPROVED,
        submitted_at="2021-03-01T23:30:00Z",
        invoices=two_invoices(tested_invoice(issued_on="2021-03-02")),
    )
    with case(
        "invoice whose supplier is the applicant itself is ineligible",
        "when the supplier SIREN equals the applicant SIREN",
    ) as c:
        co = company("Boutique")
        c.registry(registry(co))
        c.submit(
            claim(co, invoices=two_invoices(tested_invoice(supplier_siren=co.siren, supplier_name=co.name))(co)),
            rejected("EXPENSES_BELOW_MINIMUM"),
        )
    for provider in REFERENCED_PROVIDERS:
        simple(
            f"digitalisation_support by referenced provider {provider} is eligible",
            "a `digitalisation_support` invoice's supplier is not a referenced provider",
            APPROVED,
            invoices=two_invoices(
                tested_invoice(
                    supplier_siren=provider,
                    category="digitalisation_support",
                    supplier_name="Conseil Numérique Référencé",
                )
            ),
        )
    simple(
        "digitalisation_support by a non-referenced supplier (629923129) is ineligible",
        "a `digitalisation_support` invoice's supplier is not a referenced provider",
        rejected("EXPENSES_BELOW_MINIMUM"),
        invoices=two_invoices(
            tested_invoice(
                supplier_siren=NOT_REFERENCED_PROVIDER, category="digitalisation_support", supplier_name="Conseil Libre"
            )
        ),
    )
    simple(
        "digitalisation_support by a supplier known only by a foreign VAT number is ineligible",
        "a `digitalisation_support` invoice's supplier is not a referenced provider",
        rejected("EXPENSES_BELOW_MINIMUM"),
        invoices=two_invoices(
            tested_invoice(
                supplier_siren=None, vat="DE123456789", category="digitalisation_support", supplier_name="Berater GmbH"
            )
        ),
    )
    simple(
        "a non-referenced supplier is fine for any other category",
        "a `digitalisation_support` invoice's ...",
        APPROVED,
        submitted_at=V2_AT,
        invoices=two_invoices(tested_invoice(supplier_siren=NOT_REFERENCED_PROVIDER, category="showcase_site")),
    )
    simple(
        "no eligible invoice at all",
        "the eligible invoices sum (incl. tax) below the minimum",
        rejected("EXPENSES_BELOW_MINIMUM"),
        submitted_at=V2_AT,
        invoices=lambda co: [invoice(co, "Z1", incl=90_000, issued_on="2020-09-15")],
    )
