"""Recovery orders and repayments in memory (`uow.recovery` of the fake unit of work), with the constraints the use
cases rely on: one order per claim, a bank entry repays once, the envelope's CHECKs (through the fake budgets)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

from guichet_payments.recovery.domain import FollowUp, RecoveryOrder
from guichet_payments.recovery.repository import SET_ASIDE_KIND

if TYPE_CHECKING:
    from .fakes import InMemoryBudgets


@dataclasses.dataclass(frozen=True)
class Repayment:
    order_id: str
    amount_cents: int
    value_date: dt.date | None
    received_at: dt.datetime
    returned_to_envelope: bool


class InMemoryRecovery:
    def __init__(self, budgets: InMemoryBudgets, held: dict[tuple[str, str], str]) -> None:
        self.orders: dict[str, RecoveryOrder] = {}
        self.repayments: dict[str, Repayment] = {}
        self._budgets = budgets
        self._held = held  # the unit of work's set-aside items

    async def add(self, order: RecoveryOrder) -> bool:
        if order.order_id in self.orders or any(o.claim_id == order.claim_id for o in self.orders.values()):
            return False
        self.orders[order.order_id] = order
        return True

    async def by_reference(self, payment_reference: str) -> RecoveryOrder | None:
        return next((o for o in self.orders.values() if o.payment_reference == payment_reference), None)

    async def of_claim(self, claim_id: str) -> RecoveryOrder | None:
        return next((o for o in self.orders.values() if o.claim_id == claim_id), None)

    async def record(self, order: RecoveryOrder) -> None:
        stored = self.orders[order.order_id]
        if not 0 <= order.repaid_cents <= stored.amount_cents:
            raise ValueError(f"check violation: repaid {order.repaid_cents} of {stored.amount_cents}")
        self.orders[order.order_id] = dataclasses.replace(
            stored,
            repaid_cents=order.repaid_cents,
            reminders_sent=order.reminders_sent,
            state=order.state,
            settled_at=order.settled_at,
            collection_at=order.collection_at,
        )

    async def add_repayment(
        self,
        bank_entry: str,
        order_id: str,
        amount_cents: int,
        value_date: dt.date | None,
        received_at: dt.datetime,
        returned_to_envelope: bool,
    ) -> bool:
        if bank_entry in self.repayments:
            return False
        self.repayments[bank_entry] = Repayment(order_id, amount_cents, value_date, received_at, returned_to_envelope)
        return True

    async def return_to_envelope(self, programme: str, amount_cents: int) -> None:
        self._budgets._change(programme, reserved_cents=-amount_cents, recovered_cents=amount_cents)

    async def with_step_due(
        self, programme: str, today: dt.date, timetable: FollowUp, limit: int
    ) -> list[RecoveryOrder]:
        due = [
            o
            for o in self.orders.values()
            if o.programme == programme
            and o.due_step(today, timetable) is not None
            and (SET_ASIDE_KIND, o.order_id) not in self._held
        ]
        return sorted(due, key=lambda o: (o.due_on, o.order_id))[:limit]
