"""The controls' own events (`payments.controls.v1`): a claim selected, and its control's outcome."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from guichet_common.contracts.controls import CONTROLS_TOPIC, ControlEventV1
from guichet_common.outbox import OutboxMessage
from guichet_payments.controls.model import Control


def control_event(
    topic_prefix: str,
    control: Control,
    kind: Literal["selected", "outcome"],
    now: dt.datetime,
    recovery_order_id: str | None = None,
) -> OutboxMessage:
    """`control` as it stands, keyed by its claim (a claim's steps stay in order)."""
    event = ControlEventV1.model_validate(
        {
            "event_id": uuid.uuid4(),
            "occurred_at": now,
            "kind": kind,
            "campaign_id": control.campaign_id,
            "claim_id": control.claim_id,
            "programme": control.programme,
            "siren": control.siren,
            "payment_id": control.payment_id,
            "paid_cents": control.paid_cents,
            "grounds": list(control.grounds),
            "reply_by": control.reply_by,
            "outcome": control.outcome,
            "reason_code": control.reason_code,
            "amount_undue_cents": control.amount_undue_cents,
            "recovery_order_id": recovery_order_id,
            "decided_by": control.decided_by,
            "seconded_by": control.seconded_by,
            "source": control.source,
        },
        strict=False,
    )
    return OutboxMessage.of_event(topic_prefix + CONTROLS_TOPIC, control.claim_id, event)
