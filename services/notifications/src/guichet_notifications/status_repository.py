"""Notifications' SQL for the operators' figures: e-mails by state."""

from __future__ import annotations

import asyncpg

from guichet_common.figures import StageFigures

STATES = ("pending", "sending", "sent", "failed", "cancelled", "unaddressed")


async def stage_figures(conn: asyncpg.Connection) -> StageFigures:
    rows = await conn.fetch("SELECT state, count(*) AS n FROM emails GROUP BY state")
    counts = dict.fromkeys(STATES, 0) | {row["state"]: row["n"] for row in rows}
    return StageFigures(
        "notifications",
        counts,
        received=sum(counts.values()),
        done=counts["sent"],
        # Set aside, never to be sent, or owed to a claim whose contact was erased (docs/privacy.md).
        failed=counts["failed"] + counts["cancelled"] + counts["unaddressed"],
        # 'sending' is a mail in doubt: the server may have taken it before a crash (see the sender).
        pending=counts["pending"] + counts["sending"],
    )
