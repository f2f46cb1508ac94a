"""The events payments publishes: statuses for portals and applicants, payment instructions for finance."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from guichet_common.contracts import ClaimStatusV1, PaymentIssuedV1
from guichet_common.contracts.payments import ISSUED_TOPIC
from guichet_common.contracts.status import TOPIC as STATUS_TOPIC
from guichet_common.contracts.status import ClaimStatus
from guichet_common.outbox import OutboxMessage
from guichet_payments.domain import Payment


@dataclass(frozen=True)
class Announcer:
    topic_prefix: str = ""

    def status(
        self,
        *,
        claim_id: str,
        programme: str,
        siren: str,
        status: ClaimStatus,
        now: dt.datetime,
        reasons: list[str] | None = None,
        amount_cents: int | None = None,
        payment_id: str | None = None,
    ) -> OutboxMessage:
        event = ClaimStatusV1(
            event_id=uuid.uuid4(),
            occurred_at=now,
            claim_id=claim_id,
            programme=programme,
            siren=siren,
            status=status,
            reasons=reasons or [],
            amount_cents=amount_cents,
            payment_id=payment_id,
        )
        return OutboxMessage.of_event(self.topic_prefix + STATUS_TOPIC, claim_id, event)

    def of_payment(
        self,
        payment: Payment,
        status: ClaimStatus,
        now: dt.datetime,
        *,
        reasons: list[str] | None = None,
        amount_cents: int | None = None,
    ) -> OutboxMessage:
        """The status of `payment`'s claim; `amount_cents` when the event carries an amount."""
        return self.status(
            claim_id=payment.claim_id,
            programme=payment.programme,
            siren=payment.siren,
            status=status,
            now=now,
            reasons=reasons,
            amount_cents=amount_cents,
            payment_id=payment.payment_id,
        )

    def issued(self, event: PaymentIssuedV1) -> OutboxMessage:
        return OutboxMessage.of_event(self.topic_prefix + ISSUED_TOPIC, event.payment_id, event)
