"""Notifications' read-only SQL for the operators' console: the e-mails about one claim, never whom they went to."""

from __future__ import annotations

from typing import Any

import asyncpg


async def emails(conn: asyncpg.Connection, claim_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT kind, state, attempts, last_error, amount_cents, created_at, sent_at FROM emails"
        " WHERE claim_id = $1 ORDER BY created_at, kind",
        claim_id,
    )
    return [dict(row) for row in rows]
