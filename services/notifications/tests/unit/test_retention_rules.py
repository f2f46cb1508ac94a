"""The retention clock's rules: calendar months (same day, clamped to the month's end), the deadlines a claim's
final status and payment set, and which erasure requests are granted (refusal codes of plan point 6)."""

from __future__ import annotations

import datetime as dt

import pytest

from guichet_notifications.retention import (
    ClaimTrack,
    Deadlines,
    RetentionPeriods,
    StatusChange,
    add_months,
    deadlines,
    decide_erasure,
    follow,
)

T0 = dt.datetime(2021, 3, 2, 10, 30, tzinfo=dt.UTC)
PERIODS = RetentionPeriods(contact_months=24, bank_months=13)


def at(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 10, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (at(2021, 3, 2), 24, at(2023, 3, 2)),  # same day of the month, same time
        (at(2021, 3, 2), 13, at(2022, 4, 2)),
        (at(2021, 1, 31), 1, at(2021, 2, 28)),  # clamped to the shorter month's last day
        (at(2023, 1, 31), 13, at(2024, 2, 29)),  # a leap year's February
        (at(2022, 2, 28), 24, at(2024, 2, 28)),  # not moved to the 29th
        (at(2021, 8, 31), 10, at(2022, 6, 30)),
        (at(2021, 12, 15), 1, at(2022, 1, 15)),  # over the year's end
        (at(2021, 12, 31), 12, at(2022, 12, 31)),
    ],
)
def test_months_are_calendar_months_on_the_same_day_clamped_to_the_month_end(
    start: dt.datetime, months: int, expected: dt.datetime
) -> None:
    assert add_months(start, months) == expected


def change(status: str, when: dt.datetime, claim_id: str = "C-1") -> StatusChange:
    return StatusChange(claim_id, "p", status, when)


def track_of(*changes: StatusChange) -> ClaimTrack:
    track = None
    for one in changes:
        track = follow(track, one)
    assert track is not None
    return track


def test_the_contact_counts_from_the_final_status_and_the_bank_from_the_payment() -> None:
    paid = track_of(change("received", T0), change("approved", at(2021, 3, 3)), change("paid", at(2021, 4, 30)))
    assert (paid.final_at, paid.paid_at, paid.status) == (at(2021, 4, 30), at(2021, 4, 30), "paid")
    assert deadlines(paid, PERIODS) == Deadlines(contact=at(2023, 4, 30), bank=at(2022, 5, 30))


def test_a_claim_never_paid_counts_both_from_its_final_status() -> None:
    rejected = track_of(change("received", T0), change("rejected", at(2021, 3, 31)))
    assert deadlines(rejected, PERIODS) == Deadlines(contact=at(2023, 3, 31), bank=at(2022, 4, 30))


def test_a_claim_without_a_final_status_has_no_deadline() -> None:
    assert deadlines(track_of(change("received", T0), change("under_review", T0)), PERIODS) == Deadlines(None, None)


def test_an_older_status_arriving_late_changes_nothing() -> None:
    paid = track_of(change("paid", at(2021, 4, 30)))
    assert follow(paid, change("payment_sent", at(2021, 4, 20))) == paid


def test_a_payment_after_an_appeal_restarts_the_clock() -> None:
    track = track_of(change("rejected", T0), change("appeal_upheld", at(2021, 5, 1)), change("paid", at(2021, 6, 1)))
    assert deadlines(track, PERIODS).contact == at(2023, 6, 1)


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("under_review", "ERASURE_REFUSED_UNDER_REVIEW"),
        ("under_control", "ERASURE_REFUSED_UNDER_CONTROL"),
        ("recovery_ordered", "ERASURE_REFUSED_UNDER_CONTROL"),
        ("approved", "ERASURE_REFUSED_PAYMENT_IN_PROGRESS"),
        ("waitlisted", "ERASURE_REFUSED_PAYMENT_IN_PROGRESS"),
        ("payment_scheduled", "ERASURE_REFUSED_PAYMENT_IN_PROGRESS"),
        ("payment_sent", "ERASURE_REFUSED_PAYMENT_IN_PROGRESS"),
        ("payment_returned", "ERASURE_REFUSED_PAYMENT_IN_PROGRESS"),
        ("received", "ERASURE_REFUSED_NOT_FINAL"),
        ("appeal_received", "ERASURE_REFUSED_NOT_FINAL"),
        ("refused", None),
        ("rejected", None),
        ("paid", None),
        ("control_closed", None),  # a control closed after the payment: settled again
        ("recovered", None),  # a recovery order repaid in full
    ],
)
def test_an_erasure_is_granted_only_for_a_settled_claim(status: str, code: str | None) -> None:
    decision = decide_erasure("C-1", track_of(change(status, T0)))
    assert (decision.code, decision.accepted, decision.status) == (code, code is None, status)
    if code is not None:
        assert decision.detail.startswith(f"{code} : C-1 : ")


def test_an_erasure_of_a_claim_never_seen_is_refused_as_not_final() -> None:
    decision = decide_erasure("C-9", None)
    assert decision.code == "ERASURE_REFUSED_NOT_FINAL" and "aucun statut" in decision.detail


def test_a_control_keeps_the_data_until_it_closes_then_the_clock_counts_from_its_close() -> None:
    paid = change("paid", at(2021, 4, 30))
    controlled = track_of(paid, change("under_control", at(2022, 1, 10)))
    assert not controlled.settled
    closed = follow(controlled, change("control_closed", at(2022, 3, 1)))
    assert closed.settled and (closed.final_at, closed.paid_at) == (at(2022, 3, 1), at(2021, 4, 30))
    assert deadlines(closed, PERIODS) == Deadlines(contact=at(2024, 3, 1), bank=at(2022, 5, 30))


def test_a_recovery_order_keeps_the_data_until_it_is_repaid_then_counts_from_the_repayment() -> None:
    ordered = track_of(change("paid", at(2021, 4, 30)), change("recovery_ordered", at(2022, 2, 1)))
    assert not ordered.settled
    recovered = follow(ordered, change("recovered", at(2022, 6, 15)))
    assert recovered.settled and deadlines(recovered, PERIODS).contact == at(2024, 6, 15)


def test_an_erasure_during_a_recovery_order_is_refused_for_the_order() -> None:
    decision = decide_erasure("C-1", track_of(change("recovery_ordered", T0)))
    assert decision.code == "ERASURE_REFUSED_UNDER_CONTROL" and "ordre de reversement" in decision.detail
