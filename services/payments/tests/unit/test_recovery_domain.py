"""Recovery orders without a database: identifiers, ISO 11649 references, moves, and what is due on a Paris date."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from stdnum import iso11649

from guichet_payments.domain import IllegalTransition, paris_today
from guichet_payments.recovery.domain import (
    FollowUp,
    OrderState,
    Overpayment,
    RecoveryOrder,
    creditor_reference,
    normalised_reference,
    order_id_for,
)

from .fakes import PROGRAMME

T0 = dt.datetime(2021, 6, 1, 9, tzinfo=dt.UTC)
TIMETABLE = FollowUp(reminder_days_after_due=(15, 30), collection_days_after_due=45)


def order(amount_cents: int = 50_000, today: dt.date = dt.date(2021, 6, 1)) -> RecoveryOrder:
    return RecoveryOrder.issue(
        claim_id="CFN-UNIT-0000001",
        payment_id="P1",
        programme=PROGRAMME.id,
        siren="100000001",
        reason_code="CONTROL_INVOICE_UNPAID",
        amount_cents=amount_cents,
        today=today,
        due_days=30,
        returns_to_envelope=True,
        now=T0,
    )


def test_an_order_id_is_the_claims_own_every_time() -> None:
    first = order_id_for("CFN-2021-0000001")
    assert first == order_id_for("CFN-2021-0000001")
    assert first != order_id_for("CFN-2021-0000002")
    assert re.fullmatch(r"RO-[0-9A-Z]{12}", first)


@pytest.mark.parametrize("claim_id", ["CFN-2021-0000001", "x", "PNR-2021-9999999", "é" * 64])
def test_the_creditor_reference_is_valid_iso_11649(claim_id: str) -> None:
    reference = creditor_reference(order_id_for(claim_id))
    assert iso11649.is_valid(reference)
    assert re.fullmatch(r"RF[0-9]{2}[0-9A-Z]{1,21}", reference)
    assert normalised_reference(iso11649.format(reference).lower()) == reference


def test_partial_repayments_then_settled_and_no_more() -> None:
    issued = order(50_000)
    assert issued.due_on == dt.date(2021, 7, 1) and issued.state is OrderState.OUTSTANDING
    part = issued.repay(20_000, T0)
    assert (part.repaid_cents, part.outstanding_cents, part.state) == (20_000, 30_000, OrderState.OUTSTANDING)
    with pytest.raises(Overpayment):
        part.repay(30_001, T0)
    done = part.repay(30_000, T0)
    assert (done.state, done.settled_at, done.outstanding_cents) == (OrderState.SETTLED, T0, 0)
    with pytest.raises(IllegalTransition):
        done.repay(1, T0)
    with pytest.raises(IllegalTransition):
        done.remind()


def test_reminders_then_collection_on_their_paris_dates() -> None:
    issued = order()  # due 2021-07-01
    assert issued.due_step(dt.date(2021, 7, 15), TIMETABLE) is None
    assert issued.due_step(dt.date(2021, 7, 16), TIMETABLE) == "reminder"
    once = issued.remind()
    assert once.due_step(dt.date(2021, 7, 30), TIMETABLE) is None
    assert once.due_step(dt.date(2021, 7, 31), TIMETABLE) == "reminder"
    twice = once.remind()
    assert twice.due_step(dt.date(2021, 8, 14), TIMETABLE) is None
    assert twice.due_step(dt.date(2021, 8, 15), TIMETABLE) == "collection"
    collected = twice.pass_to_collection(T0)
    assert collected.state is OrderState.IN_COLLECTION and collected.due_step(dt.date(2022, 1, 1), TIMETABLE) is None
    # Still repayable: a late transfer quoting the reference settles it.
    assert collected.repay(collected.amount_cents, T0).state is OrderState.SETTLED


def test_the_due_date_is_judged_in_paris_not_utc() -> None:
    # 22:30 UTC on 15 July is already 16 July in Paris (summer time): the first reminder is due.
    late_evening = dt.datetime(2021, 7, 15, 22, 30, tzinfo=dt.UTC)
    assert order().due_step(paris_today(late_evening, PROGRAMME.zone), TIMETABLE) == "reminder"
    assert order().due_step(late_evening.date(), TIMETABLE) is None


def test_an_order_orders_money() -> None:
    with pytest.raises(ValueError, match="positive"):
        order(0)
