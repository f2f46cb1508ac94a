"""The report document assembled from each service's figures, and how its numbers are written for people."""

from __future__ import annotations

import datetime as dt

from guichet_common.figures import BudgetFigures
from guichet_console.report_collect import EligibilityFigures, IntakeFigures, PaymentFigures, ServiceFigures
from guichet_console.report_figures import assemble, burn_down
from guichet_console.report_format import count, duration, euros

NOW = dt.datetime(2021, 11, 30, 12, 0, tzinfo=dt.UTC)
NO_DELAYS = {"count": 0, "p50": None, "p90": None, "p99": None}


def figures(**payments_changes) -> ServiceFigures:
    payments = {
        "by_status": {"settled": {"count": 2, "amount_cents": 100_000}, "sent": {"count": 1, "amount_cents": 50_000}},
        "waitlisted": 1,
        "beneficiaries": 3,
        "payment_delays": {"count": 3, "p50": 86_400.04, "p90": 90_000.0, "p99": 99_999.96},
        "reserved_per_day": [("2021-03-03", 100_000), ("2021-03-02", 50_000)],
        "budgets": [
            BudgetFigures("a", 1_000_000, 150_000, 100_000, 0),
            BudgetFigures("b", 500_000, 0, 0, 0),
        ],
    } | payments_changes
    return ServiceFigures(
        IntakeFigures(7, 2, {"SIREN_INVALID": 2, "IBAN_INVALID": 1}, [("2021-03-02", 4), ("2021-03-03", 3)]),
        EligibilityFigures(
            {"approved": 4, "rejected": 2, "under_review": 1},
            {"HEADCOUNT_TOO_HIGH": 2, "TURNOVER_TOO_HIGH": 1},
            11,
            80_012.5,
            NO_DELAYS,
        ),
        PaymentFigures(**payments),
    )


def test_claims_received_are_those_registered_and_those_refused_with_every_state_counted() -> None:
    report = assemble(figures(), None, NOW)
    assert report["claims"] == {
        "received": 9,
        "registered": 7,
        "refused": 2,
        "awaiting_registry": 0,
        "under_review": 1,
        "approved": 4,
        "rejected": 2,
        "waitlisted": 1,
        "beneficiaries": 3,
    }
    assert report["payments_by_status"]["returned"] == {"count": 0, "amount_cents": 0}


def test_money_in_integer_cents_and_delays_to_the_tenth_of_a_second() -> None:
    report = assemble(figures(), None, NOW)
    assert report["invoices"] == {"count": 11, "average_incl_tax_cents": 80_012}
    assert report["delays_seconds"]["submission_to_payment"] == {
        "count": 3,
        "p50": 86_400.0,
        "p90": 90_000.0,
        "p99": (99_999.96).__round__(1),
    }
    assert report["delays_seconds"]["submission_to_decision"] == NO_DELAYS


def test_the_budget_adds_up_the_selected_programmes() -> None:
    budget = assemble(figures(), None, NOW)["budget"]
    assert budget == {
        "total_cents": 1_500_000,
        "reserved_cents": 150_000,
        "paid_cents": 100_000,
        "released_cents": 0,
        "available_cents": 1_350_000,
        "programmes": ["a", "b"],
    }


def test_the_burn_down_is_what_was_left_at_the_end_of_each_day_in_date_order() -> None:
    assert burn_down(1_000, [("2021-03-03", 300), ("2021-03-02", 200)]) == [
        {"date": "2021-03-02", "reserved_cents": 200, "available_cents": 800},
        {"date": "2021-03-03", "reserved_cents": 500, "available_cents": 500},
    ]
    assert burn_down(1_000, []) == []


def test_one_programme_s_report_says_refusals_are_not_by_programme() -> None:
    assert assemble(figures(), None, NOW)["notes"] == []
    assert "refusals_by_code" in assemble(figures(), "a", NOW)["notes"][0]


def test_numbers_are_written_the_french_way() -> None:
    assert count(1_234_567) == "1 234 567"
    assert euros(6_000_000_000) == "60 000 000,00 €"
    assert euros(-5) == "-0,05 €"
    assert euros(None) == "—"
    assert [duration(s) for s in (None, 42, 720, 12_600, 3_542_400)] == ["—", "42 s", "12 min", "3,5 h", "41 j"]
