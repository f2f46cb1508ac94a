"""The projection of payments' controls and recovery orders: their events into the read model's values, each batch
in one unit of work. The back-office only reads these topics (payments publishes them, notifications owns them):
a record it cannot project is set aside here (handlers' READ_ONLY), never dead-lettered."""

from __future__ import annotations

from collections.abc import Sequence

from guichet_backoffice.controls_model import ControlChange, RecoveryStep
from guichet_backoffice.projection import AbstractBackofficeUnitOfWork
from guichet_common.contracts.controls import ControlEventV1, RecoveryOrderEventV1
from guichet_common.pipeline import Published


def control_change(event: ControlEventV1) -> ControlChange:
    return ControlChange(
        event.event_id,
        event.kind,
        event.campaign_id,
        event.claim_id,
        event.programme,
        event.siren,
        event.payment_id,
        event.paid_cents,
        tuple(event.grounds),
        event.reply_by,
        event.outcome,
        event.reason_code,
        event.amount_undue_cents,
        event.recovery_order_id,
        event.decided_by,
        event.seconded_by,
        event.occurred_at,
    )


def recovery_step(event: RecoveryOrderEventV1) -> RecoveryStep:
    return RecoveryStep(
        event.event_id,
        event.step,
        event.order_id,
        event.claim_id,
        event.programme,
        event.siren,
        event.payment_id,
        event.reason_code,
        event.amount_cents,
        event.repaid_cents,
        event.outstanding_cents,
        event.issued_on,
        event.due_on,
        event.payment_reference,
        event.reminder,
        event.repayment_cents,
        event.returned_to_envelope,
        event.occurred_at,
    )


async def project_controls(uow: AbstractBackofficeUnitOfWork, changes: Sequence[ControlChange]) -> None:
    """A claim's selection and outcome, and each event on its timeline."""
    await uow.controls.record_controls(changes)


async def project_recovery_steps(uow: AbstractBackofficeUnitOfWork, steps: Sequence[RecoveryStep]) -> None:
    """Each order as its latest step says it stands, and each step on its claim's timeline."""
    await uow.controls.record_recovery_steps(steps)


async def apply_controls(uow: AbstractBackofficeUnitOfWork, events: Sequence[ControlEventV1]) -> list[Published]:
    await project_controls(uow, [control_change(e) for e in events])
    return []


async def apply_recovery_orders(
    uow: AbstractBackofficeUnitOfWork, events: Sequence[RecoveryOrderEventV1]
) -> list[Published]:
    await project_recovery_steps(uow, [recovery_step(e) for e in events])
    return []
