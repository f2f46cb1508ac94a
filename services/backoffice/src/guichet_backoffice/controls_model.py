"""What the read model learns of controls and recovery orders (payments.controls.v1, payments.recovery-orders.v1),
as plain values, and the repository the projection writes them through. No I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

# The order's state after each step (payments' own state names).
RECOVERY_STATES = {
    "issued": "outstanding",
    "reminded": "outstanding",
    "repayment": "outstanding",
    "settled": "settled",
    "passed_to_collection": "in_collection",
}


@dataclass(frozen=True)
class ControlChange:
    """A claim selected for control (`selected`), or its outcome (`outcome`)."""

    event_id: UUID
    kind: str
    campaign_id: str
    claim_id: str
    programme: str
    siren: str
    payment_id: str
    paid_cents: int
    grounds: tuple[str, ...]
    reply_by: dt.date | None
    outcome: str | None
    reason_code: str | None
    amount_undue_cents: int | None
    recovery_order_id: str | None
    decided_by: str | None
    seconded_by: str | None
    occurred_at: dt.datetime


@dataclass(frozen=True)
class RecoveryStep:
    """One step of a recovery order, with the order as it stands after it."""

    event_id: UUID
    step: str
    order_id: str
    claim_id: str
    programme: str
    siren: str
    payment_id: str
    reason_code: str
    amount_cents: int
    repaid_cents: int
    outstanding_cents: int
    issued_on: dt.date
    due_on: dt.date
    payment_reference: str
    reminder: int | None
    repayment_cents: int | None
    returned_to_envelope: bool
    occurred_at: dt.datetime

    @property
    def state(self) -> str:
        return RECOVERY_STATES[self.step]


class Controls(Protocol):
    async def record_controls(self, changes: Sequence[ControlChange]) -> None: ...

    async def record_recovery_steps(self, steps: Sequence[RecoveryStep]) -> None: ...
