"""Controls and recovery events as payments publishes them (payments.controls.v1, payments.recovery-orders.v1), for
notifications' tests: one claim's control and recovery order, with the values its e-mails must repeat."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from guichet_common.contracts.controls import ControlEventV1, RecoveryOrderEventV1
from guichet_common.records import InboundRecord
from guichet_common.topics import CONTROLS, RECOVERY_ORDERS

AT = dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC)
REFERENCE = "RF18539007547034"
IBAN = "FR7630001007941234567890185"


def control_event(claim_id: str = "C-1", kind: str = "selected", **fields: Any) -> ControlEventV1:
    base: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "occurred_at": AT,
        "kind": kind,
        "campaign_id": "C-20270104-0a1b2c3d",
        "claim_id": claim_id,
        "programme": "p",
        "siren": "642515712",
        "payment_id": "PAY-1",
        "paid_cents": 50_000,
    }
    if kind == "selected":
        base |= {"grounds": ["CONTROL_SAMPLED"], "reply_by": dt.date(2027, 2, 3)}
    return ControlEventV1(**(base | fields))


def recovery_event(claim_id: str = "C-1", step: str = "issued", **fields: Any) -> RecoveryOrderEventV1:
    base: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "occurred_at": AT,
        "step": step,
        "order_id": "RO-0123456789AB",
        "claim_id": claim_id,
        "programme": "p",
        "siren": "642515712",
        "payment_id": "PAY-1",
        "reason_code": "CONTROL_INVOICE_UNPAID",
        "amount_cents": 123_456,
        "repaid_cents": 0,
        "outstanding_cents": 123_456,
        "issued_on": dt.date(2027, 3, 1),
        "due_on": dt.date(2027, 3, 31),
        "payment_reference": REFERENCE,
        "creditor_name": "Agence de services et de paiement",
        "creditor_iban": IBAN,
        "creditor_bic": "BDFEFRPPCCT",
    }
    return RecoveryOrderEventV1(**(base | fields))


def record(event: ControlEventV1 | RecoveryOrderEventV1, *, offset: int = 0) -> InboundRecord:
    topic = CONTROLS.name if isinstance(event, ControlEventV1) else RECOVERY_ORDERS.name
    return InboundRecord(topic, 0, offset, event.claim_id.encode(), event.model_dump_json().encode())
