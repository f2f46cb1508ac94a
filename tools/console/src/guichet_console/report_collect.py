"""The programme's figures as each service's own database holds them, read-only and aggregated in SQL.

No service is asked about another's tables; the few figures that span services are put together in Python
(report_figures), by programme and date, never by querying two databases at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from guichet_common.figures import BudgetFigures
from guichet_console.connect import Stack
from guichet_eligibility import operators as eligibility
from guichet_intake import operators as intake
from guichet_payments import operators as payments


@dataclass(frozen=True)
class IntakeFigures:
    registered: int
    refused: int
    refusals_by_code: dict[str, int]
    registered_per_day: list[tuple[str, int]]


@dataclass(frozen=True)
class EligibilityFigures:
    by_status: dict[str, int]
    rejections_by_reason: dict[str, int]
    invoice_count: int
    invoice_average_cents: float | None
    decision_delays: dict[str, Any]


@dataclass(frozen=True)
class PaymentFigures:
    by_status: dict[str, dict[str, int]]
    waitlisted: int
    beneficiaries: int
    payment_delays: dict[str, Any]
    reserved_per_day: list[tuple[str, int]]
    budgets: list[BudgetFigures]
    # programme -> payments' control_and_recovery_figures (issue 19); none before payments' migration 009
    controls: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceFigures:
    intake: IntakeFigures
    eligibility: EligibilityFigures
    payments: PaymentFigures


async def collect(stack: Stack, programme: str | None, zone: str) -> ServiceFigures:
    async def from_intake() -> IntakeFigures:
        async with stack.connection("intake") as conn:
            refused, by_code = await intake.refusals_by_code(conn)
            return IntakeFigures(
                await intake.registered_count(conn, programme),
                refused,
                by_code,
                await intake.registered_per_day(conn, programme, zone),
            )

    async def from_eligibility() -> EligibilityFigures:
        async with stack.connection("eligibility") as conn:
            invoices, average = await eligibility.invoice_average(conn, programme)
            return EligibilityFigures(
                await eligibility.claims_by_status(conn, programme),
                await eligibility.rejections_by_reason(conn, programme),
                invoices,
                average,
                await eligibility.decision_delays(conn, programme),
            )

    async def from_payments() -> PaymentFigures:
        async with stack.connection("payments") as conn:
            budgets = [b for b in await payments.budget_figures(conn) if programme is None or b.programme == programme]
            return PaymentFigures(
                await payments.payments_by_status(conn, programme),
                await payments.waitlisted_count(conn, programme),
                await payments.beneficiaries(conn, programme),
                await payments.payment_delays(conn, programme),
                await payments.reserved_per_day(conn, programme, zone),
                budgets,
                await _controls(conn),
            )

    figures = await asyncio.gather(from_intake(), from_eligibility(), from_payments())
    return ServiceFigures(*figures)


async def _controls(conn: asyncpg.Connection) -> Mapping[str, Mapping[str, Any]]:
    try:
        return await payments.control_and_recovery_figures(conn)
    except asyncpg.UndefinedTableError:  # payments started before its controls and recovery migrations
        return {}
