"""payments.controls.v1 and payments.recovery-orders.v1 into the read model (fake unit of work): once per event,
an order's latest step wins, and a record the back-office cannot read is set aside, never dead-lettered."""

from __future__ import annotations

from guichet_backoffice.domain import UNPROJECTABLE_RECORD

from .control_events import decided, recovery, selected
from .events import record
from .fakes import FakeBackofficeUnitOfWork, subscriptions

SUBSCRIPTIONS = subscriptions()
CONTROLS, ORDERS = "payments.controls.v1", "payments.recovery-orders.v1"


async def test_a_selection_and_its_outcome_redelivered_are_projected_once() -> None:
    uow = FakeBackofficeUnitOfWork()
    events = [selected("CLAIM-001"), decided("CLAIM-001", "non_compliant", reason_code="CONTROL_INVOICE_UNPAID")]
    for _ in range(2):  # a redelivery: the same events at new offsets
        await SUBSCRIPTIONS[CONTROLS].apply(uow, [record(CONTROLS, e) for e in events])
    assert len(uow.controls.events) == 2
    row = uow.controls.controls["CLAIM-001"]
    assert (row["grounds"], row["outcome"], row["reason_code"]) == (
        ("CONTROL_SAMPLED",),
        "non_compliant",
        "CONTROL_INVOICE_UNPAID",
    )


async def test_an_orders_latest_step_wins_in_any_order() -> None:
    uow = FakeBackofficeUnitOfWork()
    settled, issued = recovery("CLAIM-001", "settled", 40, repaid=60_000), recovery("CLAIM-001", "issued", 20)
    await SUBSCRIPTIONS[ORDERS].apply(uow, [record(ORDERS, settled)])
    await SUBSCRIPTIONS[ORDERS].apply(uow, [record(ORDERS, issued), record(ORDERS, settled)])
    [order] = uow.controls.orders.values()
    assert (order.state, order.outstanding_cents) == ("settled", 0) and len(uow.controls.steps) == 2


async def test_an_unreadable_control_record_is_set_aside() -> None:
    uow = FakeBackofficeUnitOfWork()
    assert SUBSCRIPTIONS[CONTROLS].set_aside_kind == UNPROJECTABLE_RECORD
    assert SUBSCRIPTIONS[ORDERS].set_aside_kind == UNPROJECTABLE_RECORD
    await SUBSCRIPTIONS[CONTROLS].apply(uow, [record(CONTROLS, b"{ pas du JSON")])
    assert uow.controls.events == {}
