"""Payments' SQL for the operators' figures: payments by status, the waitlist and each programme's envelope."""

from __future__ import annotations

import asyncpg

from guichet_common.figures import BudgetFigures, StageFigures

STATES = ("waitlisted", "scheduled", "sent", "settled", "returned", "released")


async def stage_figures(conn: asyncpg.Connection) -> StageFigures:
    rows = await conn.fetch(
        "SELECT status, count(*) AS n FROM payments GROUP BY status"
        " UNION ALL SELECT 'waitlisted', count(*) FROM waitlist"
    )
    counts = dict.fromkeys(STATES, 0) | {row["status"]: row["n"] for row in rows}
    return StageFigures(
        "payments",
        counts,
        received=sum(counts.values()),
        done=counts["sent"] + counts["settled"],
        # A released payment's grant went back to the envelope: the company was never paid.
        failed=counts["returned"] + counts["released"],
        pending=counts["waitlisted"] + counts["scheduled"],
    )


async def budget_figures(conn: asyncpg.Connection) -> list[BudgetFigures]:
    rows = await conn.fetch(
        "SELECT programme, total_cents, reserved_cents, paid_cents, released_cents FROM budgets ORDER BY programme"
    )
    return [BudgetFigures(**dict(row)) for row in rows]
