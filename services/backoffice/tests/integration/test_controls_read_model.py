"""Controls and recovery orders in the read model on a real PostgreSQL: each event once however often it comes, an
order's latest step wins in any order, and the pages' reads (list, filters, timeline, dashboard figures)."""

from __future__ import annotations

import asyncpg
import pytest

from guichet_backoffice import controls_read_model, read_model

from ..unit.control_events import CAMPAIGN, decided, recovery, selected
from ..unit.events import status
from .test_read_model import project

pytestmark = pytest.mark.integration
CONTROLS, ORDERS = "payments.controls.v1", "payments.recovery-orders.v1"


async def test_controls_and_orders_redelivered_are_projected_once_and_read_back(
    backoffice_pool: asyncpg.Pool,
) -> None:
    chosen, other = selected("CLAIM-001"), selected("CLAIM-002", grounds=["CONTROL_RISK_REVIEWED"])
    outcome = decided(
        "CLAIM-001",
        "non_compliant",
        reason_code="CONTROL_INVOICE_UNPAID",
        amount_undue_cents=60_000,
        recovery_order_id="RO-0000CLAIM001",
        decided_by="alice",
        seconded_by="sophie",
    )
    issued, repaid = recovery("CLAIM-001", "issued", 20), recovery("CLAIM-001", "repayment", 30, repaid=10_000)
    await project(backoffice_pool, "claims.status.v1", status("CLAIM-001", "paid", 1, amount_cents=150_000))
    for _ in range(2):  # a redelivery: the same events again, at new offsets
        await project(backoffice_pool, CONTROLS, outcome, chosen, other)
        await project(backoffice_pool, ORDERS, repaid, issued)

    async with backoffice_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM control_events") == 3
        assert await conn.fetchval("SELECT count(*) FROM recovery_steps") == 2
        undecided = await controls_read_model.controls(conn, outcome="none")
        mine = await controls_read_model.controls(conn, campaign=CAMPAIGN, outcome="non_compliant")
        [order] = await controls_read_model.recovery_orders(conn, state="outstanding")
        figures = await controls_read_model.figures(conn)
        detail = await read_model.claim_detail(conn, "CLAIM-001")
    assert [(r["claim_id"], r["grounds"]) for r in undecided] == [("CLAIM-002", ["CONTROL_RISK_REVIEWED"])]
    [row] = mine
    assert (row["grounds"], row["reason_code"], row["amount_undue_cents"]) == (
        ["CONTROL_SAMPLED"],
        "CONTROL_INVOICE_UNPAID",
        60_000,
    )
    assert (order["repaid_cents"], order["outstanding_cents"], order["last_step"]) == (10_000, 50_000, "repayment")
    assert (figures.controlled, figures.by_outcome) == (2, {"non_compliant": 1, "none": 1})
    assert (figures.ordered_cents, figures.recovered_cents, figures.outstanding_cents) == (60_000, 10_000, 50_000)
    assert figures.recovery_rate_by_reason == {"CONTROL_INVOICE_UNPAID": pytest.approx(1 / 6)}
    assert detail is not None
    titles = [event.title for event in detail.timeline if event.kind in ("control", "recovery")]
    assert titles == [
        "Sélectionnée pour un contrôle",
        "Contrôle conclu : non conforme",
        "Ordre de reversement émis",
        "Remboursement reçu",
    ]


async def test_an_orders_older_step_arriving_late_does_not_undo_its_settlement(backoffice_pool: asyncpg.Pool) -> None:
    settled = recovery("CLAIM-003", "settled", 50, repaid=60_000)
    reminded = recovery("CLAIM-003", "reminded", 40, reminder=1)
    await project(backoffice_pool, ORDERS, settled)
    await project(backoffice_pool, ORDERS, reminded)
    async with backoffice_pool.acquire() as conn:
        [order] = await controls_read_model.recovery_orders(conn)
    assert (order["state"], order["outstanding_cents"], order["reminders"]) == ("settled", 0, 0)
