"""Notifications' SQL for the operators' figures: e-mails by state."""

from __future__ import annotations

import asyncpg

from guichet_common.figures import StageFigures

STATES = ("pending", "sending", "sent", "failed", "cancelled")


async def stage_figures(conn: asyncpg.Connection) -> StageFigures:
    rows = await conn.fetch("SELECT state, count(*) AS n FROM emails GROUP BY state")
    counts = dict.fromkeys(STATES, 0) | {row["state"]: row["n"] for row in rows}
    return StageFigures(
        "notifications",
        counts,
        received=sum(counts.values()),
        done=counts["sent"],
        failed=counts["failed"] + counts["cancelled"],  # set aside, or never to be sent
        # 'sending' is a mail in doubt: the server may have taken it before a crash (see the sender).
        pending=counts["pending"] + counts["sending"],
    )
