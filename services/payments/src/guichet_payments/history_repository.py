"""Payments' read-only SQL for the operators' console: one claim's payment, attempts, SEPA batches and waitlist
place, and the programme's figures. An IBAN leaves the database as its last four characters only."""

from __future__ import annotations

from typing import Any

import asyncpg


async def payment(conn: asyncpg.Connection, claim_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT payment_id, programme, amount_cents, status, attempt, return_reason, returned_at, created_at"
        " FROM payments WHERE claim_id = $1",
        claim_id,
    )
    return dict(row) if row else None


async def attempts(conn: asyncpg.Connection, payment_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT a.attempt, a.status, a.amount_cents, right(a.iban, 4) AS iban_last4, a.batch_id, a.created_at,"
        " a.reported_at, b.created_at AS batch_created_at, b.requested_execution_date"
        " FROM payment_attempts a LEFT JOIN batches b USING (batch_id) WHERE a.payment_id = $1 ORDER BY a.attempt",
        payment_id,
    )
    return [dict(row) for row in rows]


async def erased_on(conn: asyncpg.Connection, claim_id: str) -> dict[str, Any]:
    """When payments erased each kind of the claim's personal data (kind -> timestamp): trace shows "effacé le"
    where the attempts' IBAN is now NULL."""
    rows = await conn.fetch("SELECT kind, erased_at FROM privacy_erasures WHERE claim_id = $1", claim_id)
    return {row["kind"]: row["erased_at"] for row in rows}


async def waitlist_entry(conn: asyncpg.Connection, claim_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT programme, queued_at FROM waitlist WHERE claim_id = $1", claim_id)
    return dict(row) if row else None


async def payments_by_status(conn: asyncpg.Connection, programme: str | None) -> dict[str, dict[str, int]]:
    rows = await conn.fetch(
        "SELECT status, count(*) AS n, sum(amount_cents)::bigint AS cents FROM payments"
        " WHERE $1::text IS NULL OR programme = $1 GROUP BY status",
        programme,
    )
    return {row["status"]: {"count": row["n"], "amount_cents": row["cents"]} for row in rows}


async def waitlisted_count(conn: asyncpg.Connection, programme: str | None) -> int:
    return await conn.fetchval("SELECT count(*) FROM waitlist WHERE $1::text IS NULL OR programme = $1", programme)


async def beneficiaries(conn: asyncpg.Connection, programme: str | None) -> int:
    """Distinct companies with a payment sent or settled."""
    return await conn.fetchval(
        "SELECT count(DISTINCT siren) FROM payments"
        " WHERE status IN ('sent', 'settled') AND ($1::text IS NULL OR programme = $1)",
        programme,
    )


async def payment_delays(conn: asyncpg.Connection, programme: str | None) -> dict[str, Any]:
    """Seconds from the claim's submission (payments keeps its submitted_at) to the payment instruction."""
    row = await conn.fetchrow(
        "SELECT count(*) AS n, percentile_cont(ARRAY[0.5, 0.9, 0.99])"
        " WITHIN GROUP (ORDER BY extract(epoch FROM created_at - submitted_at)::float8) AS p"
        " FROM payments WHERE $1::text IS NULL OR programme = $1",
        programme,
    )
    p50, p90, p99 = row["p"] or (None, None, None)
    return {"count": row["n"], "p50": p50, "p90": p90, "p99": p99}


async def reserved_per_day(conn: asyncpg.Connection, programme: str | None, zone: str) -> list[tuple[str, int]]:
    """Money reserved by payments still holding it, by the local date (in `zone`) each payment was created;
    a released payment gave its money back, so it no longer counts."""
    rows = await conn.fetch(
        "SELECT (created_at AT TIME ZONE $2)::date AS day, sum(amount_cents)::bigint AS cents FROM payments"
        " WHERE status <> 'released' AND ($1::text IS NULL OR programme = $1) GROUP BY day ORDER BY day",
        programme,
        zone,
    )
    return [(row["day"].isoformat(), row["cents"]) for row in rows]
