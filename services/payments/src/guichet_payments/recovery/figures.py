"""Controls and recovery in figures, per programme, read-only: for /metrics, the console's report, `guichet status`
and `guichet reconcile` (whose "controls and recovery" check is `recovery_problems`). SQL stays here, as in
reconcile, so that these tools audit what the service wrote."""

from __future__ import annotations

from typing import Any

import asyncpg

OUTCOMES = ("compliant", "non_compliant", "no_answer")
ORDER_STATES = ("outstanding", "settled", "in_collection")


async def control_and_recovery_figures(conn: asyncpg.Connection) -> dict[str, dict[str, Any]]:
    """Per programme: claims `controlled` and `by_outcome` (the undecided are the rest: pending), recovery `orders`
    and `orders_by_state`, their cents (`ordered_cents`, `recovered_cents`, `outstanding_cents`), `in_collection`
    (orders) and `in_collection_cents` (still owed), and `by_reason` (orders, cents, `recovery_rate`)."""
    figures: dict[str, dict[str, Any]] = {}

    def of(programme: str) -> dict[str, Any]:
        return figures.setdefault(
            programme,
            {
                "controlled": 0,
                "by_outcome": dict.fromkeys(OUTCOMES, 0),
                "orders": 0,
                "orders_by_state": dict.fromkeys(ORDER_STATES, 0),
                "ordered_cents": 0,
                "recovered_cents": 0,
                "outstanding_cents": 0,
                "in_collection": 0,
                "in_collection_cents": 0,
                "by_reason": {},
            },
        )

    for row in await conn.fetch("SELECT programme, outcome, count(*) AS n FROM controls GROUP BY 1, 2"):
        mine = of(row["programme"])
        mine["controlled"] += row["n"]
        if row["outcome"] is not None:
            mine["by_outcome"][row["outcome"]] = row["n"]
    for row in await conn.fetch(
        "SELECT programme, reason_code, state, count(*) AS n, sum(amount_cents)::bigint AS ordered,"
        " sum(repaid_cents)::bigint AS repaid FROM recovery_orders GROUP BY 1, 2, 3"
    ):
        mine = of(row["programme"])
        outstanding = row["ordered"] - row["repaid"]
        mine["orders"] += row["n"]
        mine["orders_by_state"][row["state"]] += row["n"]
        mine["ordered_cents"] += row["ordered"]
        mine["recovered_cents"] += row["repaid"]
        mine["outstanding_cents"] += outstanding
        if row["state"] == "in_collection":
            mine["in_collection"] += row["n"]
            mine["in_collection_cents"] += outstanding
        reason = mine["by_reason"].setdefault(
            row["reason_code"], {"orders": 0, "ordered_cents": 0, "recovered_cents": 0}
        )
        reason["orders"] += row["n"]
        reason["ordered_cents"] += row["ordered"]
        reason["recovered_cents"] += row["repaid"]
    for mine in figures.values():
        for reason in mine["by_reason"].values():
            reason["recovery_rate"] = round(reason["recovered_cents"] / reason["ordered_cents"], 4)
    return figures


async def recovery_problems(conn: asyncpg.Connection, paid_cents: dict[str, int]) -> list[str]:
    """What breaks the recovery identities: each order's repaid = the sum of its repayments, each order <= its
    payment's amount, recovered <= ordered <= paid (settled) per programme (`paid_cents`), and each envelope's
    recovered_cents = the repayments given back to it."""
    problems = [
        f"order {row['order_id']}: repaid {row['repaid_cents']} cents but its repayments sum to {row['summed']}"
        for row in await conn.fetch(
            "SELECT o.order_id, o.repaid_cents, coalesce(sum(r.amount_cents), 0)::bigint AS summed"
            " FROM recovery_orders o LEFT JOIN repayments r USING (order_id)"
            " GROUP BY o.order_id HAVING o.repaid_cents <> coalesce(sum(r.amount_cents), 0) ORDER BY 1"
        )
    ]
    problems += [
        f"order {row['order_id']}: orders {row['amount_cents']} cents, more than its payment's {row['paid']}"
        for row in await conn.fetch(
            "SELECT o.order_id, o.amount_cents, p.amount_cents AS paid FROM recovery_orders o"
            " LEFT JOIN payments p USING (payment_id)"
            " WHERE p.amount_cents IS NULL OR o.amount_cents > p.amount_cents ORDER BY 1"
        )
    ]
    for programme, mine in sorted((await control_and_recovery_figures(conn)).items()):
        ordered, recovered, paid = mine["ordered_cents"], mine["recovered_cents"], paid_cents.get(programme, 0)
        if not recovered <= ordered <= paid:
            problems.append(
                f"programme {programme}: recovered {recovered}, ordered {ordered} and paid {paid} cents"
                " are not in that order"
            )
    problems += [
        f"programme {row['programme']}: envelope recovered {row['recovered_cents']} cents, but repayments given"
        f" back to it sum to {row['returned']}"
        for row in await conn.fetch(
            "SELECT b.programme, b.recovered_cents, coalesce(sum(r.amount_cents), 0)::bigint AS returned"
            " FROM budgets b LEFT JOIN recovery_orders o ON o.programme = b.programme"
            " LEFT JOIN repayments r ON r.order_id = o.order_id AND r.returned_to_envelope"
            " GROUP BY b.programme, b.recovered_cents"
            " HAVING b.recovered_cents <> coalesce(sum(r.amount_cents), 0) ORDER BY 1"
        )
    ]
    return problems
