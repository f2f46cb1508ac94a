"""SQL for recovery orders and their repayments (`uow.recovery`), and the envelope's share of what comes back."""

from __future__ import annotations

import datetime as dt

import asyncpg

from guichet_payments.recovery.domain import FollowUp, OrderState, RecoveryOrder

SET_ASIDE_KIND = "recovery_order"
_COLUMNS = (
    "order_id, claim_id, payment_id, programme, siren, reason_code, amount_cents, payment_reference, issued_on,"
    " due_on, returns_to_envelope, issued_at, repaid_cents, reminders_sent, state, settled_at, collection_at, source"
)


class RecoveryRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(self, order: RecoveryOrder) -> bool:
        """Record a new order; False if the claim has one already (one order per claim: the first stands)."""
        inserted = await self._conn.fetchval(
            f"INSERT INTO recovery_orders ({_COLUMNS}) VALUES"
            " ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
            " ON CONFLICT DO NOTHING RETURNING true",
            *_values(order),
        )
        return bool(inserted)

    async def by_reference(self, payment_reference: str) -> RecoveryOrder | None:
        """The order whose creditor reference this is (normalised: no spaces, upper case), locked for the update."""
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM recovery_orders WHERE payment_reference = $1 FOR UPDATE", payment_reference
        )
        return None if row is None else _order(row)

    async def of_claim(self, claim_id: str) -> RecoveryOrder | None:
        row = await self._conn.fetchrow(f"SELECT {_COLUMNS} FROM recovery_orders WHERE claim_id = $1", claim_id)
        return None if row is None else _order(row)

    async def record(self, order: RecoveryOrder) -> None:
        """Save an order's moves: repaid so far, reminders, state and when it changed."""
        await self._conn.execute(
            "UPDATE recovery_orders SET repaid_cents = $2, reminders_sent = $3, state = $4, settled_at = $5,"
            " collection_at = $6 WHERE order_id = $1",
            order.order_id,
            order.repaid_cents,
            order.reminders_sent,
            order.state.value,
            order.settled_at,
            order.collection_at,
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
        """Record one credit against an order; False if this bank entry was applied already (it counts once)."""
        inserted = await self._conn.fetchval(
            "INSERT INTO repayments (bank_entry, order_id, amount_cents, value_date, received_at, returned_to_envelope)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (bank_entry) DO NOTHING RETURNING true",
            bank_entry,
            order_id,
            amount_cents,
            value_date,
            received_at,
            returned_to_envelope,
        )
        return bool(inserted)

    async def return_to_envelope(self, programme: str, amount_cents: int) -> None:
        """Recovered money available again: reserved goes down, recovered up (budgets' CHECKs are the last guard)."""
        await self._conn.execute(
            "UPDATE budgets SET reserved_cents = reserved_cents - $2, recovered_cents = recovered_cents + $2"
            " WHERE programme = $1",
            programme,
            amount_cents,
        )

    async def with_step_due(
        self, programme: str, today: dt.date, timetable: FollowUp, limit: int
    ) -> list[RecoveryOrder]:
        """Outstanding orders of `programme` with a step due on `today` (their next reminder, or collection once
        every reminder is sent), the longest waiting first, except those set aside (an operator's release gives
        them back to the job; a cancellation leaves them to finance for good). The date is computed here, not after
        a LIMIT: orders waiting for a later step must not hide those whose step has come."""
        rows = await self._conn.fetch(
            f"SELECT {_COLUMNS} FROM recovery_orders o WHERE programme = $1 AND state = 'outstanding'"
            " AND due_on + coalesce(($2::int[])[reminders_sent + 1], $3) <= $4"
            " AND NOT EXISTS (SELECT 1 FROM set_aside_items s WHERE s.kind = $5"
            " AND s.item_id = o.order_id AND s.state IN ('held', 'cancelled')) ORDER BY due_on, order_id LIMIT $6",
            programme,
            list(timetable.reminder_days_after_due),
            timetable.collection_days_after_due,
            today,
            SET_ASIDE_KIND,
            limit,
        )
        return [_order(row) for row in rows]


def _values(order: RecoveryOrder) -> tuple[object, ...]:
    return (
        order.order_id,
        order.claim_id,
        order.payment_id,
        order.programme,
        order.siren,
        order.reason_code,
        order.amount_cents,
        order.payment_reference,
        order.issued_on,
        order.due_on,
        order.returns_to_envelope,
        order.issued_at,
        order.repaid_cents,
        order.reminders_sent,
        order.state.value,
        order.settled_at,
        order.collection_at,
        order.source,
    )


def _order(row: asyncpg.Record) -> RecoveryOrder:
    return RecoveryOrder(**(dict(row) | {"state": OrderState(row["state"]), "siren": row["siren"].strip()}))
