"""Corpus cases: an applicant's earlier claims (ALREADY_AIDED), several codes at once, and manual review
(REGISTRY_NO_RECORD, INVOICE_REUSED, IBAN_SHARED).

Called by `cases.py`, in its order: cases get their identifiers from `IDS` in construction order.
"""

from __future__ import annotations

import copy

from corpus_builders import (
    case,
    claim,
    company,
    invoice,
    registry,
    simple,
)
from corpus_model import (
    APPROVED,
    IDS,
    SUPPLIER_VAT,
    V2_AT,
    rejected,
    review,
)


def build_history_and_review_cases() -> None:
    # ------------------------------------------------------------------------------------- ALREADY_AIDED
    with case(
        "ALREADY_AIDED: a second claim of an approved SIREN", "another claim of the same SIREN is ... approved"
    ) as c:
        co = company("Boutique")
        c.registry(registry(co))
        c.submit(claim(co, 1), APPROVED)
        c.submit(
            claim(
                co,
                2,
                submitted_at="2021-04-12T11:00:00+02:00",
                invoices=[invoice(co, "S2", incl=70_000, issued_on="2021-03-30")],
            ),
            rejected("ALREADY_AIDED"),
        )
    with case(
        "a rejected first claim does not count: the second claim is approved",
        "already approved, waitlisted, under review, or paid",
    ) as c:
        co = company("Boutique")
        c.registry(registry(co))
        c.submit(claim(co, 1, declarations={"information_accurate": False}), rejected("DECLARATION_MISSING"))
        c.submit(
            claim(
                co,
                2,
                submitted_at="2021-03-20T16:00:00+01:00",
                invoices=[invoice(co, "S2", incl=70_000, issued_on="2021-03-01")],
            ),
            APPROVED,
        )
    with case(
        "ALREADY_AIDED when the first claim is under review; the review signal does not show on a rejection",
        "already ... under review",
    ) as c:
        co = company("Boutique")  # no registry record at all
        c.submit(claim(co, 1), review("REGISTRY_NO_RECORD"))
        c.submit(
            claim(co, 2, submitted_at=V2_AT, invoices=[invoice(co, "S2", incl=70_000, issued_on="2021-05-20")]),
            rejected("ALREADY_AIDED"),
        )

    # ------------------------------------------------------------------------------------- several codes
    simple(
        "several codes, version 2021-01-28: not closed, not registered, ceased, declaration",
        "all failing codes are reported, not only the first",
        rejected("NOT_CLOSED_TO_PUBLIC", "NOT_REGISTERED_RCS_RM", "COMPANY_CEASED", "DECLARATION_MISSING"),
        closed=False,
        rcs_rm=False,
        declarations={"tax_and_social_obligations_met": False},
        record_changes={"etatAdministratifUniteLegale": "C"},
    )
    simple(
        "several codes, version 2021-05-10: manager, too recent, spend, overseas",
        "all failing codes are reported, not only the first",
        rejected("MANAGER_EMPLOYED_FULL_TIME", "ACTIVITY_TOO_RECENT", "EXPENSES_BELOW_MINIMUM", "OVERSEAS_EXCLUDED"),
        submitted_at=V2_AT,
        manager_full_time=True,
        headcount=0,
        started="2020-11-15",
        postcode="98800",
        city="Nouméa",
        record_changes={"trancheEffectifsUniteLegale": "NN", "dateCreationUniteLegale": "2020-11-15"},
        invoices=lambda co: [invoice(co, "A1", incl=30_000, issued_on="2020-11-20")],
    )
    simple(
        "several codes: headcount (declared and band), turnover, digital provider",
        "all failing codes are reported, not only the first",
        rejected("HEADCOUNT_TOO_HIGH", "TURNOVER_TOO_HIGH", "FILED_BY_DIGITAL_PROVIDER"),
        headcount=25,
        turnover=250_000_000,
        filed_by={"kind": "digital_provider"},
        record_changes={"trancheEffectifsUniteLegale": "12"},
    )
    simple(
        "several codes: filed after closing, ceased, declaration false",
        "all failing codes are reported, not only the first",
        rejected("FILED_OUTSIDE_WINDOW", "COMPANY_CEASED", "DECLARATION_MISSING"),
        submitted_at="2021-08-02T10:00:00+02:00",
        declarations={"not_in_liquidation": False},
        record_changes={"etatAdministratifUniteLegale": "C"},
    )

    # ------------------------------------------------------------------------------------- manual review
    simple(
        "REGISTRY_NO_RECORD: no registry record for the SIREN",
        "the SIREN is not in the registry",
        review("REGISTRY_NO_RECORD"),
        record=False,
    )
    simple(
        "no registry record but rejected: only the rejection code",
        "when it would otherwise be approved",
        rejected("HEADCOUNT_TOO_HIGH"),
        record=False,
        headcount=11,
    )
    with case(
        "INVOICE_REUSED by supplier SIREN + number; a rejected reuser keeps only its rejection codes",
        "an invoice with the same supplier (SIREN or VAT) and number is on a claim of another SIREN",
    ) as c:
        first, second, third = company("Boutique"), company("Boutique"), company("Boutique")
        c.registry(registry(first), registry(second), registry(third))
        original = c.submit(claim(first), APPROVED).event["claim"]["invoices"][0]  # supplier SIREN, number K..-W1
        c.submit(
            claim(
                second,
                invoices=[
                    copy.deepcopy(original),
                    invoice(second, "H1", incl=14_400, supplier_siren=None, vat=SUPPLIER_VAT),
                ],
            ),
            review("INVOICE_REUSED"),
        )
        c.submit(
            claim(
                third,
                declarations={"information_accurate": False},
                invoices=[copy.deepcopy(original), invoice(third, "H1", incl=14_400)],
            ),
            rejected("DECLARATION_MISSING"),
        )
    with case("INVOICE_REUSED by supplier VAT number + number", "same supplier (SIREN or VAT) and number") as c:
        first, second = company("Boutique"), company("Boutique")
        c.registry(registry(first), registry(second))
        original = c.submit(claim(first), APPROVED).event["claim"]["invoices"][1]  # VAT only, number K..-H1
        c.submit(
            claim(second, submitted_at=V2_AT, invoices=[invoice(second, "W1", incl=40_000), copy.deepcopy(original)]),
            review("INVOICE_REUSED"),
        )
    with case("same invoice number from a different supplier is not a reuse", "same supplier ... and number") as c:
        first, second = company("Boutique"), company("Boutique")
        other_supplier = IDS.siren()
        c.registry(registry(first), registry(second))
        original = c.submit(claim(first), APPROVED).event["claim"]["invoices"][0]
        c.submit(
            claim(
                second,
                invoices=[
                    {**copy.deepcopy(original), "supplier_siren": other_supplier, "supplier_name": "Autre Agence"}
                ],
            ),
            APPROVED,
        )
    with case("no registry record and a reused invoice: both review codes", "goes to *manual review* ... when") as c:
        first, second = company("Boutique"), company("Boutique")
        c.registry(registry(first))  # none for `second`
        original = c.submit(claim(first), APPROVED).event["claim"]["invoices"][0]
        c.submit(claim(second, invoices=[copy.deepcopy(original)]), review("REGISTRY_NO_RECORD", "INVOICE_REUSED"))
    with case(
        "IBAN_SHARED: 3rd distinct SIREN with the same IBAN goes to review; a 4th rejected one stays rejected",
        "the IBAN is on claims of 3 or more distinct SIRENs (this claim included)",
    ) as c:
        shared = IDS.iban()
        companies = [company("Boutique") for _ in range(4)]
        c.registry(*(registry(co) for co in companies))
        c.submit(claim(companies[0], iban=shared), APPROVED)
        c.submit(claim(companies[1], iban=shared, submitted_at=V2_AT), APPROVED)
        c.submit(claim(companies[2], iban=shared), review("IBAN_SHARED"))
        c.submit(
            claim(companies[3], iban=shared, declarations={"not_in_liquidation": False}),
            rejected("DECLARATION_MISSING"),
        )
