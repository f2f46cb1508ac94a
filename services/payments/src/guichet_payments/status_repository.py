"""Payments' SQL for the operators' figures: payments by status, the waitlist, each programme's envelope, and its
controls and recovery orders."""

from __future__ import annotations

import asyncpg

from guichet_common.figures import BudgetFigures, StageFigures
from guichet_payments.recovery.figures import control_and_recovery_figures

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


async def control_and_recovery_gauges(conn: asyncpg.Connection) -> dict[str, dict[str, float]]:
    """Per programme, for /metrics (`guichet_programme_figures`): controls by outcome, recovery orders by state, and
    the cents ordered, recovered, outstanding and in collection."""
    gauges: dict[str, dict[str, float]] = {}
    for programme, figures in (await control_and_recovery_figures(conn)).items():
        mine = gauges.setdefault(programme, {"controls": figures["controlled"]})
        mine |= {f"controls_{outcome}": n for outcome, n in figures["by_outcome"].items()}
        mine["controls_pending"] = figures["controlled"] - sum(figures["by_outcome"].values())
        mine |= {f"recovery_orders_{state}": n for state, n in figures["orders_by_state"].items()}
        for cents in ("ordered_cents", "recovered_cents", "outstanding_cents", "in_collection_cents"):
            mine[f"recovery_{cents}"] = figures[cents]
    return gauges
