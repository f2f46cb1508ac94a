"""The programme report as one JSON-ready document, assembled from each service's figures. Pure: no I/O.

Money in integer cents, delays in seconds (to the tenth), dates as ISO local dates (Europe/Paris).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from guichet_console.report_collect import ServiceFigures
from guichet_console.report_controls import controls_document

CLAIM_STATES = ("awaiting_registry", "under_review", "approved", "rejected")
PAYMENT_STATES = ("scheduled", "sent", "settled", "returned", "released")


def assemble(figures: ServiceFigures, programme: str | None, generated_at: dt.datetime) -> dict[str, Any]:
    intake, eligibility, payments = figures.intake, figures.eligibility, figures.payments
    by_status = {state: eligibility.by_status.get(state, 0) for state in CLAIM_STATES}
    budget = _budget(payments.budgets)
    report = {
        "programme": programme,
        "generated_at": generated_at.isoformat(),
        "claims": {
            "received": intake.registered + intake.refused,
            "registered": intake.registered,
            "refused": intake.refused,
            **by_status,
            "waitlisted": payments.waitlisted,
            "beneficiaries": payments.beneficiaries,
        },
        "refusals_by_code": dict(intake.refusals_by_code),
        "rejections_by_reason": dict(eligibility.rejections_by_reason),
        "invoices": {
            "count": eligibility.invoice_count,
            "average_incl_tax_cents": _rounded_cents(eligibility.invoice_average_cents),
        },
        "budget": budget,
        "payments_by_status": {
            state: payments.by_status.get(state, {"count": 0, "amount_cents": 0}) for state in PAYMENT_STATES
        },
        "delays_seconds": {
            "submission_to_decision": _delays(eligibility.decision_delays),
            "submission_to_payment": _delays(payments.payment_delays),
        },
        "claims_per_day": [{"date": day, "claims": n} for day, n in intake.registered_per_day],
        "budget_by_day": burn_down(budget["total_cents"], payments.reserved_per_day),
        "controls": controls_document(payments.controls, programme),
        "notes": [],
    }
    if programme is not None:
        # intake refuses a submission before knowing whether its programme exists, and keeps no programme for it
        report["notes"].append("refusals_by_code and claims.refused count every programme's refused submissions")
    return report


def _budget(budgets: Iterable[Any]) -> dict[str, Any]:
    budgets = list(budgets)
    total = sum(b.total_cents for b in budgets)
    reserved = sum(b.reserved_cents for b in budgets)
    return {
        "total_cents": total,
        "reserved_cents": reserved,
        "paid_cents": sum(b.paid_cents for b in budgets),
        "released_cents": sum(b.released_cents for b in budgets),
        "available_cents": total - reserved,
        "programmes": sorted(b.programme for b in budgets),
    }


def _rounded_cents(cents: float | None) -> int | None:
    return None if cents is None else round(cents)


def _delays(found: dict[str, Any]) -> dict[str, Any]:
    return {"count": found["count"]} | {
        key: None if found[key] is None else round(found[key], 1) for key in ("p50", "p90", "p99")
    }


def burn_down(total_cents: int, reserved_per_day: Iterable[tuple[str, int]]) -> list[dict[str, Any]]:
    """What the envelope had left at the end of each day money was reserved."""
    points, reserved = [], 0
    for day, cents in sorted(reserved_per_day):
        reserved += cents
        points.append({"date": day, "reserved_cents": reserved, "available_cents": total_cents - reserved})
    return points
