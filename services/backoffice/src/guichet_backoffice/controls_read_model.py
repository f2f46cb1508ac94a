"""What the pages, the JSON API and the dashboard read of controls and recovery orders (SQL on the read model's
tables, projected from payments' events, and on the decisions people took)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg

OUTCOME_FILTERS = ("compliant", "non_compliant", "no_answer", "none")
ORDER_STATES = ("outstanding", "settled", "in_collection")
Row = Mapping[str, Any]


async def campaigns(conn: asyncpg.Connection, limit: int = 100) -> list[Row]:
    """Campaigns opened (decisions) or seen (selections), newest first, with how many claims and outcomes."""
    rows = await conn.fetch(
        "WITH opened AS (SELECT campaign_id, programme, seed, paid_before, requested_by, closed_at"
        "   FROM decisions WHERE action = 'control_open' AND state = 'complete'),"
        " seen AS (SELECT campaign_id, min(programme) AS programme, count(*) AS selected,"
        "   count(outcome) AS decided, count(*) FILTER (WHERE outcome = 'compliant') AS compliant,"
        "   min(selected_at) AS selected_at FROM controls GROUP BY campaign_id)"
        " SELECT campaign_id, coalesce(o.programme, s.programme) AS programme, o.seed, o.paid_before,"
        "   o.requested_by AS opened_by, coalesce(o.closed_at, s.selected_at) AS opened_at,"
        "   coalesce(s.selected, 0) AS selected, coalesce(s.decided, 0) AS decided,"
        "   coalesce(s.compliant, 0) AS compliant"
        " FROM opened o FULL JOIN seen s USING (campaign_id) ORDER BY opened_at DESC NULLS LAST LIMIT $1",
        limit,
    )
    return [dict(r) for r in rows]


async def controls(
    conn: asyncpg.Connection, *, campaign: str | None = None, outcome: str | None = None, limit: int = 500
) -> list[Row]:
    """Claims under control (`outcome` "none": still without one), those waiting longest for a reply first."""
    rows = await conn.fetch(
        "SELECT c.claim_id, c.campaign_id, c.programme, c.siren, cl.company_name, c.payment_id, c.paid_cents,"
        " c.grounds, c.reply_by, c.selected_at, c.outcome, c.reason_code, c.amount_undue_cents,"
        " c.recovery_order_id, c.decided_by, c.seconded_by, c.decided_at"
        " FROM controls c LEFT JOIN claims cl USING (claim_id)"
        " WHERE ($1::text IS NULL OR c.campaign_id = $1)"
        " AND ($2::text IS NULL OR ($2 = 'none' AND c.outcome IS NULL) OR c.outcome = $2)"
        " ORDER BY c.outcome IS NOT NULL, c.reply_by NULLS LAST, c.claim_id LIMIT $3",
        campaign,
        outcome,
        limit,
    )
    return [dict(r) for r in rows]


async def recovery_orders(conn: asyncpg.Connection, *, state: str | None = None, limit: int = 500) -> list[Row]:
    """Recovery orders, the earliest due first."""
    rows = await conn.fetch(
        "SELECT order_id, claim_id, programme, siren, payment_id, reason_code, amount_cents, repaid_cents,"
        " outstanding_cents, issued_on, due_on, payment_reference, reminders, state, last_step, as_of"
        " FROM recovery_orders WHERE ($1::text IS NULL OR state = $1) ORDER BY due_on, order_id LIMIT $2",
        state,
        limit,
    )
    return [dict(r) for r in rows]


async def claim_story(conn: asyncpg.Connection, claim_id: str) -> tuple[list[Row], list[Row]]:
    """A claim's control events and recovery steps, for its timeline."""
    events = await conn.fetch("SELECT * FROM control_events WHERE claim_id = $1 ORDER BY occurred_at", claim_id)
    steps = await conn.fetch("SELECT * FROM recovery_steps WHERE claim_id = $1 ORDER BY occurred_at", claim_id)
    return [dict(e) for e in events], [dict(s) for s in steps]


@dataclass(frozen=True)
class ControlFigures:
    controlled: int = 0
    by_outcome: Mapping[str, int] = field(default_factory=dict)  # compliant, non_compliant, no_answer, none
    ordered_cents: int = 0
    recovered_cents: int = 0
    outstanding_cents: int = 0
    in_collection: int = 0
    recovery_rate_by_reason: Mapping[str, float] = field(default_factory=dict)  # repaid / ordered, 0..1

    def outcome_rate(self, outcome: str) -> float:
        """The share of controls with `outcome` among those decided."""
        decided = self.controlled - self.by_outcome.get("none", 0)
        return self.by_outcome.get(outcome, 0) / decided if decided else 0.0


async def figures(conn: asyncpg.Connection, programme: str | None = None) -> ControlFigures:
    """The dashboard's figures: claims controlled and their outcomes, amounts ordered, recovered, outstanding."""
    outcomes = await conn.fetch(
        "SELECT coalesce(outcome, 'none') AS outcome, count(*) AS n FROM controls"
        " WHERE $1::text IS NULL OR programme = $1 GROUP BY 1",
        programme,
    )
    by_reason = await conn.fetch(
        "SELECT reason_code, sum(amount_cents)::bigint AS ordered, sum(repaid_cents)::bigint AS repaid,"
        " sum(outstanding_cents)::bigint AS outstanding,"
        " count(*) FILTER (WHERE state = 'in_collection') AS in_collection"
        " FROM recovery_orders WHERE $1::text IS NULL OR programme = $1 GROUP BY reason_code ORDER BY reason_code",
        programme,
    )
    return ControlFigures(
        controlled=sum(r["n"] for r in outcomes),
        by_outcome={r["outcome"]: r["n"] for r in outcomes},
        ordered_cents=sum(r["ordered"] for r in by_reason),
        recovered_cents=sum(r["repaid"] for r in by_reason),
        outstanding_cents=sum(r["outstanding"] for r in by_reason),
        in_collection=sum(r["in_collection"] for r in by_reason),
        recovery_rate_by_reason={r["reason_code"]: r["repaid"] / r["ordered"] for r in by_reason if r["ordered"]},
    )
