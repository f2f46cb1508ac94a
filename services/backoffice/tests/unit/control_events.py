"""payments.controls.v1 and payments.recovery-orders.v1 events for the back-office's tests."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from guichet_common.contracts.controls import ControlEventV1, RecoveryOrderEventV1

from .events import CLAIM, at

CAMPAIGN = "C-20210302-0a1b2c3d"
PAID = 150_000


def selected(claim_id: str, minutes: int = 0, **fields: Any) -> ControlEventV1:
    values: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "occurred_at": at(minutes),
        "kind": "selected",
        "campaign_id": CAMPAIGN,
        "claim_id": claim_id,
        "programme": CLAIM.programme,
        "siren": CLAIM.applicant.siren,
        "payment_id": f"P-{claim_id}",
        "paid_cents": PAID,
        "grounds": ["CONTROL_SAMPLED"],
        "reply_by": dt.date(2021, 4, 1),
    }
    return ControlEventV1(**(values | fields))


def decided(claim_id: str, outcome: str, minutes: int = 10, **fields: Any) -> ControlEventV1:
    values: dict[str, Any] = {"kind": "outcome", "outcome": outcome, "grounds": [], "reply_by": None}
    return selected(claim_id, minutes, **(values | fields))


def recovery(claim_id: str, step: str, minutes: int = 20, *, repaid: int = 0, **fields: Any) -> RecoveryOrderEventV1:
    values: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "occurred_at": at(minutes),
        "step": step,
        "order_id": "RO-" + claim_id[-12:].upper().replace("-", "0").rjust(12, "0"),
        "claim_id": claim_id,
        "programme": CLAIM.programme,
        "siren": CLAIM.applicant.siren,
        "payment_id": f"P-{claim_id}",
        "reason_code": "CONTROL_INVOICE_UNPAID",
        "amount_cents": 60_000,
        "repaid_cents": repaid,
        "outstanding_cents": 60_000 - repaid,
        "issued_on": dt.date(2021, 4, 2),
        "due_on": dt.date(2021, 5, 2),
        "payment_reference": "RF18539007547034",
        "creditor_name": "DGFIP",
        "creditor_iban": "FR7630001007941234567890185",
    }
    return RecoveryOrderEventV1(**(values | fields))
