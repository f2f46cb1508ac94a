"""What `guichet controls` accepts on its command line: euros typed by people, a moment, and an outcome's parts."""

from __future__ import annotations

import datetime as dt

import pytest

from guichet_console.controls_input import (
    NON_COMPLIANCE_CODES,
    BadInput,
    cents_from_euros,
    moment,
    outcome_body,
)


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("250", 25_000),
        ("250.00", 25_000),
        ("250,00", 25_000),
        ("250,5", 25_050),
        ("0.01", 1),
        (" 1234.56 ", 123_456),
        ("1 234,56", 123_456),
        ("1\u202f234,56", 123_456),
        ("0019.90", 1_990),
    ],
)
def test_euros_typed_by_people_become_exact_cents(typed: str, cents: int) -> None:
    assert cents_from_euros(typed) == cents


@pytest.mark.parametrize(
    "typed",
    ["", "abc", "-5", "0", "0,00", "1.234,56", "250.001", "2,5,0", "1e3", "12.", ".5", "€250", "250 €", "nan", "1 2"],
)
def test_what_is_not_an_amount_of_euros_is_refused_with_the_text(typed: str) -> None:
    with pytest.raises(BadInput, match="euros"):
        cents_from_euros(typed)


def test_no_float_rounding_creeps_in() -> None:
    assert cents_from_euros("0.29") == 29  # float("0.29") * 100 == 28.999999999999996
    assert cents_from_euros("999999999.99") == 99_999_999_999


def test_a_moment_with_its_offset_is_kept() -> None:
    assert moment("2026-12-01T10:00:00+00:00") == dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)


def test_a_date_is_its_whole_day_and_a_naive_moment_is_read_in_paris() -> None:
    # as the back-office reads a date: claims paid on that day count (its end, Paris time)
    assert moment("2026-12-01").isoformat() == "2026-12-01T23:59:59.999999+01:00"
    assert moment("2026-07-01T12:30").isoformat() == "2026-07-01T12:30:00+02:00"


@pytest.mark.parametrize("typed", ["yesterday", "01/12/2026", "2026-13-01", ""])
def test_what_is_not_a_moment_is_refused(typed: str) -> None:
    with pytest.raises(BadInput, match="ISO"):
        moment(typed)


def test_compliant_takes_neither_code_nor_amount() -> None:
    assert outcome_body("compliant", None, None, "pièces reçues") == {"outcome": "compliant", "reason": "pièces reçues"}
    with pytest.raises(BadInput, match="--amount"):
        outcome_body("compliant", None, "10", "x")
    with pytest.raises(BadInput, match="--reason-code"):
        outcome_body("compliant", "CONTROL_INVOICE_UNPAID", None, "x")


def test_non_compliant_needs_a_non_compliance_code_and_an_amount_in_cents() -> None:
    body = outcome_body("non_compliant", "control_invoice_unpaid", "250,00", "facture impayée")
    assert body == {
        "outcome": "non_compliant",
        "reason_code": "CONTROL_INVOICE_UNPAID",
        "amount_undue_cents": 25_000,
        "reason": "facture impayée",
    }
    with pytest.raises(BadInput, match="--reason-code"):
        outcome_body("non_compliant", None, "250", "x")
    with pytest.raises(BadInput, match="--amount"):
        outcome_body("non_compliant", "CONTROL_INVOICE_UNPAID", None, "x")
    with pytest.raises(BadInput, match="CONTROL_SAMPLED"):
        outcome_body("non_compliant", "CONTROL_SAMPLED", "250", "x")


def test_no_answer_orders_the_whole_grant_so_takes_no_amount() -> None:
    assert outcome_body("no_answer", None, None, "relancé") == {"outcome": "no_answer", "reason": "relancé"}
    with pytest.raises(BadInput, match="--amount"):
        outcome_body("no_answer", None, "250", "x")


def test_a_reason_is_words() -> None:
    with pytest.raises(BadInput, match="--reason"):
        outcome_body("compliant", None, None, "   ")


def test_the_five_non_compliance_codes_no_answer_being_an_outcome_of_its_own() -> None:
    assert len(NON_COMPLIANCE_CODES) == 5 and "CONTROL_NO_ANSWER" not in NON_COMPLIANCE_CODES
    with pytest.raises(BadInput, match="--outcome no_answer"):
        outcome_body("non_compliant", "CONTROL_NO_ANSWER", "250", "x")
