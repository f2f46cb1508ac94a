"""Eligibility's SQL for the operators' figures: claims by decision."""

from __future__ import annotations

import asyncpg

from guichet_common.figures import StageFigures

STATES = ("awaiting_registry", "under_review", "approved", "rejected")


async def stage_figures(conn: asyncpg.Connection) -> StageFigures:
    rows = await conn.fetch("SELECT status, count(*) AS n FROM claims GROUP BY status")
    counts = dict.fromkeys(STATES, 0) | {row["status"]: row["n"] for row in rows}
    return StageFigures(
        "eligibility",
        counts,
        received=sum(counts.values()),
        done=counts["approved"],
        failed=counts["rejected"],
        pending=counts["awaiting_registry"] + counts["under_review"],
    )
