"""Eligibility's read-only SQL for the operators' console: one claim's decision rule by rule and its review, and
the programme's figures (claims by status, rejections by reason, invoices, time to decision)."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from guichet_eligibility.review import REJECTED_AFTER_REVIEW


async def judgement(conn: asyncpg.Connection, claim_id: str) -> dict[str, Any] | None:
    """The claim as judged: status, decision (rule_results decoded) and the operator's review, if any."""
    row = await conn.fetchrow(
        "SELECT c.claim_id, c.programme, c.status, c.submitted_at, c.received_at,"
        " d.outcome, d.rule_version, d.reasons, d.rule_results::text AS rule_results, d.grant_cents, d.decided_at,"
        " r.decision AS review_decision, r.operator AS review_operator, r.reason AS review_reason,"
        " r.decided_at AS reviewed_at"
        " FROM claims c LEFT JOIN decisions d USING (claim_id) LEFT JOIN review_decisions r USING (claim_id)"
        " WHERE c.claim_id = $1",
        claim_id,
    )
    if row is None:
        return None
    found = dict(row)
    found["rule_results"] = orjson.loads(row["rule_results"]) if row["rule_results"] else []
    found["reasons"] = list(row["reasons"] or [])
    return found


async def claims_by_status(conn: asyncpg.Connection, programme: str | None) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT status, count(*) AS n FROM claims WHERE $1::text IS NULL OR programme = $1 GROUP BY status", programme
    )
    return {row["status"]: row["n"] for row in rows}


async def rejections_by_reason(conn: asyncpg.Connection, programme: str | None) -> dict[str, int]:
    """Rejected claims counted under each reason; one rejected by an operator counts under the review's reason."""
    rows = await conn.fetch(
        "SELECT code, count(*) AS n FROM claims c JOIN decisions d USING (claim_id)"
        " LEFT JOIN review_decisions r USING (claim_id),"
        " unnest(CASE WHEN r.decision = 'rejected' THEN ARRAY[$2::text] ELSE d.reasons END) AS code"
        " WHERE c.status = 'rejected' AND ($1::text IS NULL OR c.programme = $1)"
        " GROUP BY code ORDER BY n DESC, code",
        programme,
        REJECTED_AFTER_REVIEW,
    )
    return {row["code"]: row["n"] for row in rows}


async def invoice_average(conn: asyncpg.Connection, programme: str | None) -> tuple[int, float | None]:
    """(invoices, their average amount incl. tax in cents) over every claim's invoices."""
    row = await conn.fetchrow(
        "SELECT count(*) AS n, avg((invoice ->> 'amount_incl_tax_cents')::bigint)::float8 AS average"
        " FROM claims, jsonb_array_elements(payload -> 'invoices') AS invoice"
        " WHERE $1::text IS NULL OR programme = $1",
        programme,
    )
    return row["n"], row["average"]


async def decision_delays(conn: asyncpg.Connection, programme: str | None) -> dict[str, Any]:
    """Seconds from submission to the final decision (the operator's for a reviewed claim): count, p50, p90, p99.
    Claims still waiting for the registry or an operator have no final decision yet and are left out."""
    row = await conn.fetchrow(
        "SELECT count(*) AS n, percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY seconds) AS p"
        " FROM (SELECT extract(epoch FROM coalesce(r.decided_at, d.decided_at) - c.submitted_at)::float8 AS seconds"
        "       FROM claims c JOIN decisions d USING (claim_id) LEFT JOIN review_decisions r USING (claim_id)"
        "       WHERE c.status IN ('approved', 'rejected') AND ($1::text IS NULL OR c.programme = $1)) AS final",
        programme,
    )
    p50, p90, p99 = row["p"] or (None, None, None)
    return {"count": row["n"], "p50": p50, "p90": p90, "p99": p99}
