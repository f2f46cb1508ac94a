"""Approvals on the fake unit of work: each grant is reserved and its payment scheduled while the envelope covers it,
the rest waits in line in arrival order, and a company is served once."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from guichet_common.contracts import ClaimDecidedV1
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_payments.domain import AttemptState, PaymentState
from guichet_payments.handlers import Handlers
from guichet_payments.service import PaymentsService, UnknownProgramme
from guichet_payments.settlement import SettlementService

from .fakes import (
    GRANT,
    PROGRAMME,
    Clock,
    FakePaymentsUnitOfWork,
    approval,
    statuses,
    with_envelope,
)

SERVICE = PaymentsService(programmes={PROGRAMME.id: PROGRAMME}, clock=Clock())


async def test_grants_the_envelope_covers_are_reserved_and_their_payments_scheduled() -> None:
    uow = await with_envelope()
    published = await SERVICE.apply_approvals(uow, [approval(1), approval(2)])
    assert statuses(published) == [
        ("CFN-UNIT-0000001", "payment_scheduled", []),
        ("CFN-UNIT-0000002", "payment_scheduled", []),
    ]
    assert uow.budgets.envelopes[PROGRAMME.id].reserved_cents == 2 * GRANT
    payments = list(uow.payments.payments.values())
    assert [(p.claim_id, p.status, p.amount_cents) for p in payments] == [
        ("CFN-UNIT-0000001", PaymentState.SCHEDULED, GRANT),
        ("CFN-UNIT-0000002", PaymentState.SCHEDULED, GRANT),
    ]
    attempts = list(uow.payments.attempts.values())
    assert [(a.number, a.status, a.end_to_end_id) for a in attempts] == [
        (1, AttemptState.SCHEDULED, p.payment_id) for p in payments
    ]
    assert [a.payee.iban for a in attempts] == [approval(1).iban] * 2


async def test_what_the_envelope_cannot_cover_waits_in_line_and_nobody_overtakes() -> None:
    uow = await with_envelope(2 * GRANT + GRANT // 2)
    small = approval(4, grant_amount_cents=GRANT // 2)  # would fit, but someone waits before it
    published = await SERVICE.apply_approvals(uow, [approval(1), approval(2), approval(3), small])
    assert [s for _, s, _ in statuses(published)] == ["payment_scheduled"] * 2 + ["waitlisted"] * 2
    assert statuses(published)[2][2] == ["BUDGET_EXHAUSTED"]
    assert uow.budgets.envelopes[PROGRAMME.id].reserved_cents == 2 * GRANT
    assert sorted(uow.waitlist.entries) == ["CFN-UNIT-0000003", "CFN-UNIT-0000004"]
    # A later batch queues behind them too, even though its grant would fit; the approval is kept to pay it later.
    fifth = approval(5, grant_amount_cents=GRANT // 2)
    later = await SERVICE.apply_approvals(uow, [fifth])
    assert statuses(later) == [("CFN-UNIT-0000005", "waitlisted", ["BUDGET_EXHAUSTED"])]
    assert uow.waitlist.entries["CFN-UNIT-0000005"].decision == fifth.model_dump(mode="json")


async def test_a_company_already_paid_or_in_line_is_refused_once_and_not_announced() -> None:
    uow = await with_envelope(GRANT)
    await SERVICE.apply_approvals(uow, [approval(1), approval(2)])  # 1 paid, 2 waits
    with capture_logs() as logs:
        published = await SERVICE.apply_approvals(
            uow, [approval(11, siren=approval(1).siren), approval(12, siren=approval(2).siren)]
        )
    assert published == []
    refused = [e["claim_id"] for e in logs if e["event"] == "payment_refused_company_already_served"]
    assert refused == ["CFN-UNIT-0000011", "CFN-UNIT-0000012"]
    assert len(uow.payments.payments) == 1 and len(uow.waitlist.entries) == 1


async def test_the_same_company_twice_in_one_batch_is_served_once() -> None:
    uow = await with_envelope()
    published = await SERVICE.apply_approvals(uow, [approval(1), approval(2, siren=approval(1).siren)])
    assert statuses(published) == [("CFN-UNIT-0000001", "payment_scheduled", [])]


async def test_a_redelivered_approval_is_applied_once_through_the_subscription() -> None:
    uow = FakePaymentsUnitOfWork()
    await uow.budgets.ensure(PROGRAMME.id, PROGRAMME.budget.total_cents)
    handlers = Handlers(SERVICE, SettlementService(SERVICE))
    subscription = Subscription(handlers.approvals, contract(ClaimDecidedV1))
    record = InboundRecord("eligibility.decisions.v1", 0, 1, b"k", approval(1).model_dump_json().encode())
    await subscription.apply(uow, [record, record])
    await subscription.apply(uow, [record])
    assert [s for _, s, _ in statuses(uow.committed)] == ["payment_scheduled"]
    assert uow.budgets.envelopes[PROGRAMME.id].reserved_cents == GRANT and uow.commits == 2


async def test_an_approval_for_a_programme_this_deployment_does_not_run_is_refused_even_with_an_envelope() -> None:
    """An envelope left by another deployment (or an older programme file) is no licence to pay: the batcher could
    not write the file, and would fail every turn for every programme. The approval fails alone (dead letter)."""
    uow = await with_envelope()
    await uow.budgets.ensure("pass-numerique-region-2021", 10 * GRANT)
    with pytest.raises(UnknownProgramme, match="pass-numerique-region-2021"):
        await SERVICE.apply_approvals(
            uow, [approval(1), approval(2).model_copy(update={"programme": "pass-numerique-region-2021"})]
        )
    assert uow.payments.payments == {}
