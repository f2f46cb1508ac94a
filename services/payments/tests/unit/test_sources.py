"""Whose claim a status is (issue 17): payments keeps the approval's `source` with the payment and puts it on every
status it announces, scheduled, waitlisted, promoted, sent; an approval without one gives statuses without one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from guichet_payments.batching import Batcher
from guichet_payments.service import PaymentsService

from .fakes import GRANT, PROGRAMME, Clock, approval, values, with_envelope

PROGRAMMES = {PROGRAMME.id: PROGRAMME}


def sources(messages) -> list[tuple[str, str, str | None]]:
    return [(v["claim_id"], v["status"], v.get("source")) for v in values(messages, "claims.status.v1")]


async def test_a_payment_s_statuses_carry_the_source_of_its_approval(tmp_path: Path) -> None:
    clock = Clock()
    service = PaymentsService(programmes=PROGRAMMES, clock=clock)
    uow = await with_envelope()
    published = await service.apply_approvals(uow, [approval(1, source="beta"), approval(2)])
    assert sources(published) == [
        ("CFN-UNIT-0000001", "payment_scheduled", "beta"),
        ("CFN-UNIT-0000002", "payment_scheduled", None),
    ]
    assert [p.source for p in uow.payments.payments.values()] == ["beta", None]
    clock.now += dt.timedelta(hours=1)
    await Batcher(PROGRAMMES, tmp_path, max_size=10, clock=clock).close_due_batches(uow)
    # A batch's transfers are in payment_id order, which is random: compare without order.
    assert sorted(s for s in sources(uow.published) if s[1] == "payment_sent") == [
        ("CFN-UNIT-0000001", "payment_sent", "beta"),
        ("CFN-UNIT-0000002", "payment_sent", None),
    ]


async def test_a_waitlisted_claim_keeps_its_source_when_it_is_promoted() -> None:
    service = PaymentsService(programmes=PROGRAMMES, clock=Clock())
    uow = await with_envelope(GRANT)
    published = await service.apply_approvals(uow, [approval(1), approval(2, source="beta")])
    assert sources(published)[1] == ("CFN-UNIT-0000002", "waitlisted", "beta")
    await uow.budgets.release(PROGRAMME.id, GRANT)
    promoted = await service.promote_waiting(uow, PROGRAMME.id)
    assert sources(promoted) == [("CFN-UNIT-0000002", "payment_scheduled", "beta")]
