"""Controls and recovery in the report and on the status screen: outcome rates, amounts ordered, recovered and
outstanding, in collection, the recovery rate by reason, per programme and in all."""

from __future__ import annotations

import datetime as dt

from rich.console import Console

from guichet_console.report_controls import EMPTY, controls_document, controls_html, controls_table
from guichet_console.report_figures import assemble
from guichet_console.report_html import figures_on, render

from .test_report_figures import figures

NOW = dt.datetime(2021, 11, 30, 12, 0, tzinfo=dt.UTC)
HOSTILE = '<script>alert("x")</script>&'


def programme_figures(**changes) -> dict:
    return {
        "controlled": 10,
        "by_outcome": {"compliant": 5, "non_compliant": 2, "no_answer": 1},
        "ordered_cents": 150_000,
        "recovered_cents": 50_000,
        "outstanding_cents": 100_000,
        "in_collection": 1,
        "in_collection_cents": 50_000,
        "by_reason": {
            "CONTROL_INVOICE_UNPAID": {"orders": 2, "ordered_cents": 100_000, "recovered_cents": 50_000},
            "CONTROL_NO_ANSWER": {"orders": 1, "ordered_cents": 50_000, "recovered_cents": 0},
        },
    } | changes


RAW = {
    "a": programme_figures(),
    "b": programme_figures(
        controlled=2,
        by_outcome={"compliant": 2},
        ordered_cents=0,
        recovered_cents=0,
        outstanding_cents=0,
        in_collection=0,
        in_collection_cents=0,
        by_reason={},
    ),
}


def test_outcome_rates_are_shares_of_the_claims_controlled_and_the_undecided_are_pending() -> None:
    document = controls_document(RAW, "a")
    assert document["controlled"] == 10
    assert document["by_outcome"] == {"compliant": 5, "non_compliant": 2, "no_answer": 1, "pending": 2}
    assert document["outcome_rates"] == {"compliant": 0.5, "non_compliant": 0.2, "no_answer": 0.1, "pending": 0.2}
    assert document["recovery_rate_by_reason"] == {"CONTROL_INVOICE_UNPAID": 0.5, "CONTROL_NO_ANSWER": 0.0}
    assert list(document["by_programme"]) == ["a"]


def test_all_programmes_add_up_and_rates_are_recomputed_from_the_sums() -> None:
    document = controls_document(RAW, None)
    assert document["controlled"] == 12 and document["by_outcome"]["compliant"] == 7
    assert document["outcome_rates"]["compliant"] == round(7 / 12, 4)
    assert (document["ordered_cents"], document["recovered_cents"], document["outstanding_cents"]) == (
        150_000,
        50_000,
        100_000,
    )
    assert document["recovery_rate"] == round(50_000 / 150_000, 4)
    assert sorted(document["by_programme"]) == ["a", "b"]
    assert document["by_programme"]["b"]["recovery_rate"] is None  # nothing ordered: no rate, not 0 %


def test_no_control_yet_is_zeros_and_no_rates() -> None:
    document = controls_document({}, None)
    assert document["controlled"] == 0 and document["outcome_rates"] == EMPTY["outcome_rates"]
    assert document["recovery_rate"] is None and document["recovery_rate_by_reason"] == {}


def test_the_report_carries_the_section_and_its_page_tags_every_figure_with_its_json_value() -> None:
    report = assemble(figures(controls=RAW), None, NOW)
    assert report["controls"]["in_collection"] == 1
    found = figures_on(render(report))
    assert {"controls.controlled", "controls.outstanding_cents", "controls.outcome_rates.non_compliant"} <= set(found)
    assert found["controls.recovery_rate_by_reason.CONTROL_INVOICE_UNPAID"] == "0.5"
    assert found["controls.recovery_rate"] == str(report["controls"]["recovery_rate"])


def test_codes_from_the_database_are_escaped_in_the_page() -> None:
    document = controls_document({"a": programme_figures(by_reason={HOSTILE: {"orders": 1, "ordered_cents": 1}})}, None)
    page = controls_html(document)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_the_terminal_table_says_amounts_in_euros_and_rates_in_percent() -> None:
    console = Console(width=200, record=True)
    console.print(controls_table(controls_document(RAW, None)))
    text = console.export_text()
    assert "Demandes contrôlées" in text and "1 500,00 €" in text and "33,3 %" in text
    assert "CONTROL_INVOICE_UNPAID" in text and "50,0 %" in text
