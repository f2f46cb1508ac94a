"""Recovery use cases on the fake unit of work: issuing an order, repayments (partial, whole, too much, repeated,
naming no order) through the bank importer's credit path, the envelope's share and the waitlist, and follow-up."""

from __future__ import annotations

import datetime as dt

from guichet_payments.bank_files.matching import CREDIT_WITHOUT_RETURN
from guichet_payments.bank_files.reading import BankEntry
from guichet_payments.domain import PaymentState
from guichet_payments.recovery import service as recovery
from guichet_payments.recovery.domain import OrderState, RecoveryOrder
from guichet_payments.recovery.service import RecoveryService
from guichet_payments.service import PaymentsService

from .fakes import GRANT, PROGRAMME, T0, Clock, FakePaymentsUnitOfWork, approval, seed_payment, statuses, values

ORDERS = "payments.recovery-orders.v1"


def services(clock: Clock, returns_to_envelope: bool = True) -> RecoveryService:
    programme = PROGRAMME.model_copy(
        update={"recovery": PROGRAMME.recovery.model_copy(update={"returns_to_envelope": returns_to_envelope})}
    )
    payments = PaymentsService(programmes={PROGRAMME.id: programme}, clock=clock)
    return RecoveryService(payments.programmes, payments.announce, clock, payments)


async def paid_and_ordered(
    uow: FakePaymentsUnitOfWork, service: RecoveryService, amount_cents: int = GRANT
) -> tuple[str, str]:
    """Claim 1 paid (settled), then a recovery order of `amount_cents`: (order id, its reference)."""
    payment, _ = await seed_payment(uow, 1, status=PaymentState.SETTLED)
    await uow.budgets.add_paid(PROGRAMME.id, GRANT)
    order_id, messages = await service.issue(
        uow,
        claim_id=payment.claim_id,
        payment_id=payment.payment_id,
        programme=PROGRAMME.id,
        siren=payment.siren,
        amount_cents=amount_cents,
        reason_code="CONTROL_INVOICE_UNPAID",
        source=None,
        now=T0,
    )
    uow.publish(messages)
    return order_id, uow.recovery.orders[order_id].payment_reference


def credit(amount_cents: int | None, *, reference: str | None = None, remittance: str | None = None) -> BankEntry:
    return BankEntry(0, "credit", None, None, amount_cents, None, remittance, None, T0.date(), "REF-1", reference)


async def envelope(total_cents: int = GRANT) -> FakePaymentsUnitOfWork:
    uow = FakePaymentsUnitOfWork()
    await uow.budgets.ensure(PROGRAMME.id, total_cents)
    return uow


async def test_issuing_orders_once_per_claim_with_status_and_step() -> None:
    uow, service = await envelope(), services(Clock(T0))
    order_id, reference = await paid_and_ordered(uow, service, 20_000)
    assert statuses(uow.published) == [("CFN-UNIT-0000001", "recovery_ordered", ["CONTROL_INVOICE_UNPAID"])]
    [issued] = values(uow.published, ORDERS)
    assert (issued["step"], issued["order_id"], issued["payment_reference"]) == ("issued", order_id, reference)
    assert (issued["amount_cents"], issued["outstanding_cents"], issued["due_on"]) == (20_000, 20_000, "2021-04-01")
    assert issued["creditor_iban"] == PROGRAMME.payment.debtor_iban
    order = uow.recovery.orders[order_id]
    again, messages = await service.issue(
        uow,
        claim_id=order.claim_id,
        payment_id=order.payment_id,
        programme=PROGRAMME.id,
        siren=order.siren,
        amount_cents=1,
        reason_code="CONTROL_NO_ANSWER",
        source=None,
        now=T0,
    )
    assert (again, messages, len(uow.recovery.orders)) == (order_id, [], 1)


async def test_partial_then_full_repayment_settles_and_returns_money_to_the_envelope() -> None:
    uow, service = await envelope(), services(Clock(T0))
    order_id, reference = await paid_and_ordered(uow, service, 30_000)
    uow.published.clear()
    first = await service.apply_credit(uow, credit(10_000, reference=reference), "e-1", T0)
    assert isinstance(first, list)
    assert [v["step"] for v in values(first, ORDERS)] == ["repayment"]
    assert uow.budgets.envelopes[PROGRAMME.id].recovered_cents == 10_000
    # The firm typed the reference in its free text, spaced and in lower case: still ours.
    spaced = " ".join(reference[i : i + 4] for i in range(0, len(reference), 4)).lower()
    second = await service.apply_credit(uow, credit(20_000, remittance=f"remboursement {spaced}"), "e-2", T0)
    assert isinstance(second, list)
    assert [v["step"] for v in values(second, ORDERS)] == ["repayment", "settled"]
    assert statuses(second) == [("CFN-UNIT-0000001", "recovered", [])]
    order = uow.recovery.orders[order_id]
    assert (order.state, order.repaid_cents) == (OrderState.SETTLED, 30_000)
    budget = uow.budgets.envelopes[PROGRAMME.id]
    assert (budget.reserved_cents, budget.recovered_cents) == (GRANT - 30_000, 30_000)


async def test_over_payment_or_no_order_goes_to_suspense_with_its_reason() -> None:
    uow, service = await envelope(), services(Clock(T0))
    order_id, reference = await paid_and_ordered(uow, service, 10_000)
    assert await service.apply_credit(uow, credit(10_001, reference=reference), "e-1", T0) == recovery.ABOVE_OUTSTANDING
    unknown = "RF18539007547034"  # a valid ISO 11649 reference, of nobody here
    assert await service.apply_credit(uow, credit(100, reference=unknown), "e-2", T0) == recovery.UNKNOWN_ORDER
    assert await service.apply_credit(uow, credit(100, remittance="VIREMENT"), "e-3", T0) == CREDIT_WITHOUT_RETURN
    assert uow.recovery.orders[order_id].repaid_cents == 0 and not uow.recovery.repayments


async def test_the_same_bank_entry_repays_once() -> None:
    uow, service = await envelope(), services(Clock(T0))
    order_id, reference = await paid_and_ordered(uow, service, 30_000)
    assert await service.apply_credit(uow, credit(10_000, reference=reference), "e-1", T0)
    assert await service.apply_credit(uow, credit(10_000, reference=reference), "e-1", T0) == []
    assert uow.recovery.orders[order_id].repaid_cents == 10_000


async def test_money_back_in_the_envelope_pays_the_oldest_waiting_claim() -> None:
    uow, service = await envelope(), services(Clock(T0))
    _, reference = await paid_and_ordered(uow, service)
    await service.payments.apply_approvals(uow, [approval(3), approval(2)])  # the envelope is spent: both wait
    assert sorted(uow.waitlist.entries) == ["CFN-UNIT-0000002", "CFN-UNIT-0000003"]
    repaid = await service.apply_credit(uow, credit(GRANT, reference=reference), "e-1", T0)
    assert isinstance(repaid, list)
    assert ("CFN-UNIT-0000002", "payment_scheduled", []) in statuses(repaid)
    assert sorted(uow.waitlist.entries) == ["CFN-UNIT-0000003"]
    assert values(repaid, "payments.budgets.v1")[-1]["reserved_cents"] == 2 * GRANT - GRANT


async def test_a_programme_that_keeps_what_it_recovers_leaves_the_envelope_alone() -> None:
    uow, service = await envelope(), services(Clock(T0), returns_to_envelope=False)
    _, reference = await paid_and_ordered(uow, service)
    repaid = await service.apply_credit(uow, credit(GRANT, reference=reference), "e-1", T0)
    assert isinstance(repaid, list) and not values(repaid, "payments.budgets.v1")
    assert uow.budgets.envelopes[PROGRAMME.id].recovered_cents == 0


async def test_follow_up_reminds_then_passes_to_collection_on_the_programmes_days() -> None:
    clock = Clock(T0)
    uow, service = await envelope(), services(clock)
    order_id, _ = await paid_and_ordered(uow, service)
    due_on = uow.recovery.orders[order_id].due_on
    paris_morning = dt.time(8, 0, tzinfo=PROGRAMME.zone)
    steps: list[tuple[str, int | None]] = []
    for days in (14, 15, 16, 29, 30, 44, 45, 46):
        clock.now = dt.datetime.combine(due_on + dt.timedelta(days=days), paris_morning)
        uow.published.clear()
        while await service.follow_up(uow):
            pass
        steps += [(v["step"], v.get("reminder")) for v in values(uow.published, ORDERS)]
    assert steps == [("reminded", 1), ("reminded", 2), ("passed_to_collection", None)]
    assert uow.recovery.orders[order_id].state is OrderState.IN_COLLECTION


async def test_an_order_that_cannot_move_is_set_aside_and_the_others_go_on() -> None:
    clock = Clock(T0 + dt.timedelta(days=60))
    uow, service = await envelope(2 * GRANT), services(clock)
    order_id, _ = await paid_and_ordered(uow, service)
    other, _ = await seed_payment(uow, 2, status=PaymentState.SETTLED)
    other_id, _ = await service.issue(
        uow,
        claim_id=other.claim_id,
        payment_id=other.payment_id,
        programme=PROGRAMME.id,
        siren=other.siren,
        amount_cents=GRANT,
        reason_code="CONTROL_NO_ANSWER",
        source=None,
        now=T0,
    )
    record = uow.recovery.record

    async def refuse_the_first(order: RecoveryOrder) -> None:
        if order.order_id == order_id:
            raise ValueError("cannot be written")
        await record(order)

    uow.recovery.record = refuse_the_first  # type: ignore[method-assign]
    assert await service.follow_up(uow) == 1
    assert ("recovery_order", order_id) in uow.held
    assert uow.recovery.orders[other_id].reminders_sent == 1
    assert uow.recovery.orders[order_id].reminders_sent == 0
