"""What payments publishes for the back-office's read model, on the fake unit of work: a snapshot of a programme's
envelope (`payments.budgets.v1`) once per transaction that changed it, whatever changed it, never per claim; and
each SEPA file written, whole (`payments.sepa-files.v1`). Read back through the contracts."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import uuid
from collections.abc import Sequence
from pathlib import Path

from guichet_common.contracts import PaymentSettlementV1
from guichet_common.contracts.backoffice import BudgetV1, SepaFileV1
from guichet_payments import decisions
from guichet_payments.batching import Batcher
from guichet_payments.domain import PaymentState
from guichet_payments.sealed_payees import development_opener
from guichet_payments.service import PaymentsService
from guichet_payments.settlement import SettlementService

from .fakes import GRANT, PROGRAMME, T0, Clock, FakePaymentsUnitOfWork, approval, seed_payment, values, with_envelope

PROGRAMMES = {PROGRAMME.id: PROGRAMME}


def budgets(messages: Sequence[object]) -> list[BudgetV1]:
    return [BudgetV1.model_validate(v, strict=False) for v in values(messages, "payments.budgets.v1")]


def figures(budget: BudgetV1) -> tuple[int, int, int, int, int]:
    return (budget.total_cents, budget.reserved_cents, budget.paid_cents, budget.released_cents, budget.waitlisted)


async def test_opening_the_envelopes_publishes_each_programme_s_envelope() -> None:
    uow = FakePaymentsUnitOfWork()
    await PaymentsService(programmes=PROGRAMMES, clock=Clock()).open_envelopes(uow)
    [budget] = budgets(uow.published)
    assert budget.programme == PROGRAMME.id
    assert figures(budget) == (PROGRAMME.budget.total_cents, 0, 0, 0, 0)


async def test_a_batch_of_approvals_publishes_one_snapshot_of_its_envelope_not_one_per_claim() -> None:
    uow = await with_envelope(2 * GRANT)
    service = PaymentsService(programmes=PROGRAMMES, clock=Clock())
    published = await service.apply_approvals(uow, [approval(1), approval(2), approval(3), approval(4)])
    [budget] = budgets(published)
    assert figures(budget) == (2 * GRANT, 2 * GRANT, 0, 0, 2)  # two reserved, two in line
    assert (budget.programme, budget.occurred_at) == (PROGRAMME.id, T0)
    [message] = [m for m in published if m.topic == "payments.budgets.v1"]
    assert message.key == PROGRAMME.id.encode()  # compacted by programme: the latest snapshot wins


async def test_approvals_refused_for_a_company_already_served_change_nothing_and_publish_no_snapshot() -> None:
    uow = await with_envelope()
    service = PaymentsService(programmes=PROGRAMMES, clock=Clock())
    await service.apply_approvals(uow, [approval(1)])
    assert budgets(await service.apply_approvals(uow, [approval(2, siren="100000001")])) == []


async def test_settlements_publish_the_paid_figure_once_per_batch_of_reports() -> None:
    uow = await with_envelope()
    first, _ = await seed_payment(uow, 1)
    second, _ = await seed_payment(uow, 2)
    settlements = SettlementService(PaymentsService(programmes=PROGRAMMES, clock=Clock()))
    reports = [
        PaymentSettlementV1(event_id=uuid.uuid4(), occurred_at=T0, payment_id=p.payment_id, status="settled", attempt=1)
        for p in (first, second)
    ]
    [budget] = budgets(await settlements.apply_settlements(uow, reports))
    assert (budget.reserved_cents, budget.paid_cents) == (2 * GRANT, 2 * GRANT)


async def test_an_expired_return_publishes_the_released_money_and_the_shorter_waitlist() -> None:
    uow = await with_envelope(GRANT)
    await seed_payment(uow, 1, status=PaymentState.RETURNED, returned_at=T0)
    clock = Clock(T0 + dt.timedelta(days=PROGRAMME.payment.return_expiry_days + 1))
    settlements = SettlementService(PaymentsService(programmes=PROGRAMMES, clock=clock))
    await settlements.payments.apply_approvals(uow, [approval(2)])  # waits: the envelope is spent
    uow.published.clear()
    assert await settlements.release_expired_returns(uow) == 1
    [budget] = budgets(uow.published)
    assert figures(budget) == (GRANT, GRANT, 0, GRANT, 0)  # released, then reserved again for claim 2


async def test_a_cancelled_payment_publishes_the_envelope_it_gave_its_grant_back_to() -> None:
    uow = await with_envelope()
    _, attempt = await seed_payment(uow, 1, status=PaymentState.SCHEDULED)
    await uow.payments.record_blocked(attempt.blocked())
    await decisions.cancel(uow, PaymentsService(programmes={}, clock=Clock()), "payment_attempt", attempt.item_id)
    [budget] = budgets(uow.published)
    assert (budget.reserved_cents, budget.released_cents) == (0, GRANT)


async def test_each_sepa_file_written_is_published_whole_with_its_figures(tmp_path: Path) -> None:
    clock = Clock()
    uow = await with_envelope()
    await PaymentsService(programmes=PROGRAMMES, clock=clock).apply_approvals(uow, [approval(1), approval(2)])
    uow.published.clear()
    clock.now += dt.timedelta(seconds=6)
    assert await Batcher(PROGRAMMES, tmp_path, max_age=dt.timedelta(seconds=5), clock=clock).close_due_batches(uow) == 1
    [batch] = uow.payments.batches
    [event] = [SepaFileV1.model_validate(v, strict=False) for v in values(uow.published, "payments.sepa-files.v1")]
    xml = Path(batch.file_path).read_bytes()
    # Sealed under the batch's own key (it names account holders), which opens it to the gzip's base64.
    assert event.content_gzip_base64.startswith(f"sealed:v1:bank:batch-{batch.batch_id}:")
    opened = (await development_opener().open_many(uow.keys, [event.content_gzip_base64]))[event.content_gzip_base64]
    assert isinstance(opened, str) and gzip.decompress(base64.b64decode(opened)) == xml
    [key] = values(uow.published, "privacy.claim-keys.v1")
    assert (key["subject"], key["owner"], list(key["keys"])) == (f"batch-{batch.batch_id}", "payments", ["bank"])
    topics = [m.topic for m in uow.published]
    assert topics.index("privacy.claim-keys.v1") < topics.index("payments.sepa-files.v1")  # the key comes first
    assert event.sha256 == hashlib.sha256(xml).hexdigest() == batch.file_sha256
    assert (event.batch_id, event.programme, event.file_name) == (batch.batch_id, PROGRAMME.id, f"{batch.batch_id}.xml")
    assert (event.payments, event.total_cents) == (2, 2 * GRANT)
    [message] = [m for m in uow.published if m.topic == "payments.sepa-files.v1"]
    assert message.key == batch.batch_id.encode()
    assert budgets(uow.published) == []  # a file changes no figure of the envelope
