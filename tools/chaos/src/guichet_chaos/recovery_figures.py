"""The control-and-recovery scenario's figures: what it decided, compared with the topics, payments' tables and
the mail sink (nothing lost, nothing twice)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import asyncpg

from guichet_chaos.bank_credits import Credit
from guichet_chaos.checker import Figures, StatusWatch, email_duplicates, mail_kinds, read_all
from guichet_deploy.scratch import ScratchStack

CONTROL_STATUSES = {"under_control", "control_closed", "recovery_ordered", "recovered"}


@dataclass
class Journey:
    """What the scenario decided, to compare with what happened."""

    campaign_id: str = ""
    selected: set[str] = field(default_factory=set)
    compliant: set[str] = field(default_factory=set)
    ordered: dict[str, int] = field(default_factory=dict)  # claim -> amount ordered back
    credits: list[tuple[str, Credit]] = field(default_factory=list)  # (claim, credit)


async def events_of(stack: ScratchStack, name: str) -> list[dict]:
    """Every record of the topic, once per event_id (a record delivered again is not an effect twice)."""
    records = await read_all(stack.infra.kafka_bootstrap, stack.topic(name), idle_s=1.0)
    return list({v["event_id"]: v for v in (json.loads(r.value) for r in records)}.values())


async def measure_journey(stack, watch: StatusWatch, journey: Journey, figures: Figures) -> None:
    """Lost: a selected claim never decided, an order never settled, an e-mail never sent. Twice: an order, a
    repayment, a status change or an e-mail more than once."""
    controls = await events_of(stack, "payments.controls.v1")
    steps = await events_of(stack, "payments.recovery-orders.v1")
    outcomes = Counter(e["claim_id"] for e in controls if e["kind"] == "outcome")
    issued = Counter(e["claim_id"] for e in steps if e["step"] == "issued")
    repaid = Counter(e["bank_reference"] for e in steps if e["step"] == "repayment")
    settled = Counter(e["claim_id"] for e in steps if e["step"] == "settled")
    statuses = Counter(
        (e["claim_id"], e["status"])
        for e in {e["event_id"]: e for _, e in watch.events}.values()
        if e["status"] in CONTROL_STATUSES
    )
    wanted_mails = {(c, "control_request") for c in journey.selected} | {
        (c, "control_compliant") for c in journey.compliant
    }
    wanted_mails |= {(c, kind) for c in journey.ordered for kind in ("recovery_order", "recovery_settled")}
    mails = mail_kinds(stack.maildir)
    row = await _payments_figures(stack, journey)
    lost = {
        "undecided": len(journey.selected - set(outcomes)),
        "orders never issued": len(set(journey.ordered) - set(issued)),
        "orders never settled": len(set(journey.ordered) - set(settled)) + row["unsettled"],
        "credits never counted": len(journey.credits) - row["repayments"],
        "e-mails never sent": len(wanted_mails - set(mails)),
    }
    twice = {
        "outcomes": sum(n - 1 for n in outcomes.values() if n > 1),
        "orders": sum(n - 1 for n in issued.values() if n > 1) + row["orders"] - len(journey.ordered),
        "repayments": sum(n - 1 for n in repaid.values() if n > 1) + max(0, row["repayments"] - len(journey.credits)),
    }
    figures.published = len(journey.selected)
    figures.lost = sum(lost.values())
    figures.duplicate_statuses = sum(n - 1 for n in statuses.values() if n > 1)
    figures.duplicate_payments = sum(twice.values())
    figures.duplicate_emails = email_duplicates(stack.maildir) + sum(
        n - 1 for k, n in mails.items() if n > 1 and k in wanted_mails
    )
    figures.overshoot_cents = max(0, row["overshoot"]) + abs(row["recovered_cents"] - sum(journey.ordered.values()))
    figures.dead_letters = 0
    for topic in ("backoffice.control-decisions.v1", "payments.controls.v1", "payments.recovery-orders.v1"):
        figures.dead_letters += len(await read_all(stack.infra.kafka_bootstrap, stack.topic(f"{topic}.dlq"), idle_s=1))
    figures.notes += [f"lost: {k} {v}" for k, v in lost.items() if v] + [
        f"twice: {k} {v}" for k, v in twice.items() if v
    ]


async def _payments_figures(stack, journey: Journey) -> dict[str, int]:
    """What payments' own tables say of the orders: how many, repayments, what the envelope got back."""
    connection = await asyncpg.connect(stack.database_urls["payments"])
    try:
        orders = await connection.fetchval("SELECT count(*) FROM recovery_orders")
        unsettled = await connection.fetchval(
            "SELECT count(*) FROM recovery_orders WHERE state <> 'settled' OR repaid_cents <> amount_cents"
        )
        repayments = await connection.fetchval("SELECT count(*) FROM repayments")
        budget = await connection.fetchrow(
            "SELECT coalesce(sum(recovered_cents), 0) AS recovered,"
            " coalesce(max(reserved_cents - total_cents), 0) AS over FROM budgets"
        )
    finally:
        await connection.close()
    return {
        "orders": orders,
        "unsettled": unsettled,
        "repayments": repayments,
        "recovered_cents": budget["recovered"],
        "overshoot": budget["over"],
    }
