"""The batcher on the fake unit of work: scheduled attempts go into one schema-valid SEPA file per programme when the
batch is full or old enough, are announced to finance and the portal once the file exists, and an attempt that
cannot go into a file is blocked and set aside without stopping the others."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from structlog.testing import capture_logs

from guichet_common.contracts import ClaimDecidedV1
from guichet_payments import sepa
from guichet_payments.batching import Batcher
from guichet_payments.domain import AttemptState, PaymentState
from guichet_payments.service import PaymentsService

from .fakes import (
    GRANT,
    PROGRAMME,
    T0,
    Clock,
    FakePaymentsUnitOfWork,
    approval,
    statuses,
    values,
    with_envelope,
)

PROGRAMMES = {PROGRAMME.id: PROGRAMME}


async def scheduled(clock: Clock, *approvals: ClaimDecidedV1) -> FakePaymentsUnitOfWork:
    uow = await with_envelope()
    await PaymentsService(programmes=PROGRAMMES, clock=clock).apply_approvals(uow, approvals)
    return uow


async def test_a_batch_closes_when_old_enough_into_one_valid_file_announced_once_it_exists(tmp_path: Path) -> None:
    clock = Clock()
    uow = await scheduled(clock, approval(1), approval(2), approval(3))
    batcher = Batcher(PROGRAMMES, tmp_path, max_size=10, max_age=dt.timedelta(seconds=5), clock=clock)
    assert await batcher.close_due_batches(uow) == 0  # neither full nor old yet
    assert uow.published == []
    clock.now += dt.timedelta(seconds=6)
    with capture_logs() as logs:
        assert await batcher.close_due_batches(uow) == 1
    [batch] = uow.payments.batches
    xml = Path(batch.file_path).read_bytes()
    assert (sepa.control_sum_cents(xml), sepa.transaction_count(xml)) == (3 * GRANT, 3)
    assert (batch.control_sum_cents, batch.transfer_count, batch.programme) == (3 * GRANT, 3, PROGRAMME.id)
    issued = values(uow.published, "payments.issued.v1")
    assert [(i["attempt"], i["batch_id"], i["amount_cents"]) for i in issued] == [(1, batch.batch_id, GRANT)] * 3
    assert [i["end_to_end_id"] for i in issued] == [i["payment_id"] for i in issued]
    assert [s for _, s, _ in statuses(uow.published)] == ["payment_sent"] * 3
    assert {a.status for a in uow.payments.attempts.values()} == {AttemptState.SENT}
    assert {a.batch_id for a in uow.payments.attempts.values()} == {batch.batch_id}
    assert {p.status for p in uow.payments.payments.values()} == {PaymentState.SENT}
    assert [e["transfers"] for e in logs if e["event"] == "batch_closed"] == [3]
    assert await batcher.close_due_batches(uow) == 0  # nothing left to batch


async def test_a_full_batch_closes_at_once_and_the_rest_waits_for_the_next(tmp_path: Path) -> None:
    clock = Clock()
    uow = await scheduled(clock, *(approval(n) for n in range(1, 6)))
    batcher = Batcher(PROGRAMMES, tmp_path, max_size=2, max_age=dt.timedelta(hours=1), clock=clock)
    assert await batcher.close_due_batches(uow) == 1
    assert await batcher.close_due_batches(uow) == 1
    assert await batcher.close_due_batches(uow) == 0  # one attempt left: neither full nor old
    assert [b.transfer_count for b in uow.payments.batches] == [2, 2]
    states = [a.status for a in uow.payments.attempts.values()]
    assert (states.count(AttemptState.SENT), states.count(AttemptState.SCHEDULED)) == (4, 1)
    clock.now += dt.timedelta(hours=1)
    assert await batcher.close_due_batches(uow) == 1  # old enough now


async def test_an_attempt_that_cannot_go_into_a_file_is_blocked_set_aside_and_the_others_are_sent(
    tmp_path: Path,
) -> None:
    clock = Clock()
    uow = await scheduled(clock, approval(1), approval(2, beneficiary_name="@#%*"), approval(3, bic="AAAAFR1A"))
    batcher = Batcher(PROGRAMMES, tmp_path, max_size=10, clock=clock)
    clock.now += dt.timedelta(minutes=1)
    with capture_logs() as logs:
        assert await batcher.close_due_batches(uow) == 1
    [batch] = uow.payments.batches
    assert sepa.transaction_count(Path(batch.file_path).read_bytes()) == 1
    by_claim = {p.claim_id: p for p in uow.payments.payments.values()}
    states = {c: uow.payments.attempts[(p.payment_id, 1)].status for c, p in by_claim.items()}
    assert states == {
        "CFN-UNIT-0000001": AttemptState.SENT,
        "CFN-UNIT-0000002": AttemptState.BLOCKED,
        "CFN-UNIT-0000003": AttemptState.BLOCKED,
    }
    held = {item_id: reason for (kind, item_id), reason in uow.held.items() if kind == "payment_attempt"}
    assert sorted(held) == sorted(f"{by_claim[c].payment_id}:1" for c in ("CFN-UNIT-0000002", "CFN-UNIT-0000003"))
    assert "@#%*" not in " ".join(held.values()) and "AAAAFR1A" not in " ".join(held.values())
    *blocked, sent = statuses(uow.published)  # attempts of one instant are taken in payment_id order: any order
    assert sorted(blocked) == [
        ("CFN-UNIT-0000002", "payment_scheduled", ["PAYMENT_BLOCKED"]),
        ("CFN-UNIT-0000003", "payment_scheduled", ["PAYMENT_BLOCKED"]),
    ]
    assert sent == ("CFN-UNIT-0000001", "payment_sent", [])
    assert [e["event"] for e in logs].count("item_set_aside") == 2
    assert [e["event"] for e in logs].count("batch_unwritable") == 1
    assert by_claim["CFN-UNIT-0000002"].status == PaymentState.SCHEDULED  # waits for an operator
    assert await batcher.close_due_batches(uow) == 0  # blocked attempts are out of the queue


async def test_a_batch_whose_every_attempt_is_blocked_makes_no_file_but_counts_as_work(tmp_path: Path) -> None:
    clock = Clock(T0)
    uow = await scheduled(clock, approval(1, beneficiary_name="@#%*"))
    batcher = Batcher(PROGRAMMES, tmp_path, max_size=1, clock=clock)
    assert await batcher.close_due_batches(uow) == 1
    assert uow.payments.batches == [] and list(tmp_path.iterdir()) == []
    assert len(uow.held) == 1


async def test_payments_of_a_programme_no_longer_deployed_wait_visibly_and_never_stop_the_others(
    tmp_path: Path,
) -> None:
    """Scheduled under a programme file since withdrawn: the batcher cannot write their file, says so, and goes on
    with the programmes it runs (a KeyError here used to roll back every programme's batch, every turn)."""
    clock = Clock()
    uow = await scheduled(clock, approval(1), approval(2))
    clock.now += dt.timedelta(seconds=6)
    batcher = Batcher({}, tmp_path, max_size=10, max_age=dt.timedelta(seconds=5), clock=clock)  # withdrawn
    with capture_logs() as logs:
        assert await batcher.close_due_batches(uow) == 0
    assert [e["programme"] for e in logs if e["event"] == "batch_programme_not_deployed"] == [PROGRAMME.id]
    assert uow.payments.batches == []
    assert await Batcher(PROGRAMMES, tmp_path, max_size=10, clock=clock).close_due_batches(uow) == 1
