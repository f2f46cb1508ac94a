"""Payments' read-only SQL for the operators' console (`guichet recovery list|show`, `guichet trace`): a claim's
control, the recovery orders and their repayments (tables of migrations 008-controls and 009-recovery).

They hold no personal data: a SIREN is a company's number. A database that predates those migrations has no such
table yet: it then holds no control and no order, and the readers say so (empty) rather than fail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg

T = TypeVar("T")
ORDER_STATES = ("outstanding", "settled", "in_collection")
_ORDER_COLUMNS = """
    o.order_id, o.claim_id, o.payment_id, o.programme, o.siren, o.reason_code, o.amount_cents, o.repaid_cents,
    o.amount_cents - o.repaid_cents AS outstanding_cents, o.payment_reference, o.issued_on, o.due_on,
    o.reminders_sent, o.state, o.issued_at, o.settled_at, o.collection_at, o.returns_to_envelope, o.source
"""


async def _unless_missing(conn: asyncpg.Connection, read: Callable[[], Awaitable[T]], empty: T) -> T:
    # In a savepoint: the caller's transaction (the console reads several tables in one) outlives a missing table.
    try:
        async with conn.transaction():
            return await read()
    except asyncpg.UndefinedTableError:
        return empty


async def control_of(conn: asyncpg.Connection, claim_id: str) -> dict[str, Any] | None:
    """The claim's control (selection and outcome), or None when it was never selected."""

    async def read() -> dict[str, Any] | None:
        row = await conn.fetchrow(
            """SELECT claim_id, campaign_id, payment_id, programme, siren, paid_cents, grounds, reply_by,
                      selected_at, outcome, reason_code, amount_undue_cents, decided_by, seconded_by, decided_at
               FROM controls WHERE claim_id = $1""",
            claim_id,
        )
        return None if row is None else dict(row)

    return await _unless_missing(conn, read, None)


async def recovery_orders(
    conn: asyncpg.Connection, *, state: str | None = None, programme: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """Recovery orders, the oldest issued first; only those in `state` and of `programme` when given."""

    async def read() -> list[dict[str, Any]]:
        rows = await conn.fetch(
            f"""SELECT {_ORDER_COLUMNS} FROM recovery_orders o
                WHERE ($1::text IS NULL OR o.state = $1) AND ($2::text IS NULL OR o.programme = $2)
                ORDER BY o.issued_at NULLS LAST, o.order_id LIMIT $3""",
            state,
            programme,
            limit,
        )
        return [dict(row) for row in rows]

    return await _unless_missing(conn, read, [])


async def recovery_order(
    conn: asyncpg.Connection, *, order_id: str | None = None, claim_id: str | None = None
) -> dict[str, Any] | None:
    """One order, by its id or by its claim's (one order per claim at most), with its `repayments`, oldest first."""

    async def read() -> dict[str, Any] | None:
        row = await conn.fetchrow(
            f"SELECT {_ORDER_COLUMNS} FROM recovery_orders o WHERE o.order_id = $1 OR o.claim_id = $2",
            order_id,
            claim_id,
        )
        if row is None:
            return None
        repayments = await conn.fetch(
            """SELECT bank_entry, amount_cents, value_date, received_at, returned_to_envelope
               FROM repayments WHERE order_id = $1 ORDER BY received_at, bank_entry""",
            row["order_id"],
        )
        return dict(row) | {"repayments": [dict(repayment) for repayment in repayments]}

    return await _unless_missing(conn, read, None)
