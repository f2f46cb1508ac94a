"""Intake's SQL for the operators' figures: claims registered and submissions refused."""

from __future__ import annotations

import asyncpg

from guichet_common.figures import StageFigures


async def stage_figures(conn: asyncpg.Connection) -> StageFigures:
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM claims) AS registered, (SELECT count(*) FROM refusals) AS refused"
    )
    registered, refused = row["registered"], row["refused"]
    return StageFigures(
        "intake",
        {"registered": registered, "refused": refused},
        received=registered + refused,
        done=registered,
        failed=refused,
    )
