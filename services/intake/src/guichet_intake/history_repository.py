"""Intake's read-only SQL for the operators' console: one claim's registration or refusals, and the programme's
figures (claims registered per day, refusals by code). Nothing here returns the payload: it holds personal data."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson


async def registration(conn: asyncpg.Connection, claim_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT claim_id, programme, submitted_at, registered_at FROM claims WHERE claim_id = $1", claim_id
    )
    return dict(row) if row else None


async def refusals(conn: asyncpg.Connection, claim_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT codes, details::text AS details, refused_at FROM refusals WHERE claim_id = $1 ORDER BY refused_at",
        claim_id,
    )
    return [
        {"codes": list(r["codes"]), "details": orjson.loads(r["details"]), "refused_at": r["refused_at"]} for r in rows
    ]


async def registered_count(conn: asyncpg.Connection, programme: str | None) -> int:
    return await conn.fetchval("SELECT count(*) FROM claims WHERE $1::text IS NULL OR programme = $1", programme)


async def refusals_by_code(conn: asyncpg.Connection) -> tuple[int, dict[str, int]]:
    """(submissions refused, their codes counted); a refused submission's programme is not kept, so all of them."""
    total = await conn.fetchval("SELECT count(*) FROM refusals")
    rows = await conn.fetch(
        "SELECT code, count(*) AS n FROM refusals, unnest(codes) AS code GROUP BY code ORDER BY n DESC, code"
    )
    return total, {row["code"]: row["n"] for row in rows}


async def registered_per_day(conn: asyncpg.Connection, programme: str | None, zone: str) -> list[tuple[str, int]]:
    """Claims registered, by the local date (in `zone`) they were submitted."""
    rows = await conn.fetch(
        "SELECT (submitted_at AT TIME ZONE $2)::date AS day, count(*) AS n FROM claims"
        " WHERE $1::text IS NULL OR programme = $1 GROUP BY day ORDER BY day",
        programme,
        zone,
    )
    return [(row["day"].isoformat(), row["n"]) for row in rows]
