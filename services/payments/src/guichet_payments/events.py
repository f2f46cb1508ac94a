"""The events payments publishes: statuses for portals and applicants, payment instructions for finance, and for
the back-office's read model each envelope after a change and each SEPA file written."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from guichet_common.contracts import ClaimStatusV1, PaymentIssuedV1
from guichet_common.contracts.backoffice import BUDGETS_TOPIC, SEPA_FILES_TOPIC, BudgetV1, SepaFileV1
from guichet_common.contracts.payments import ISSUED_TOPIC
from guichet_common.contracts.status import TOPIC as STATUS_TOPIC
from guichet_common.contracts.status import ClaimStatus
from guichet_common.outbox import OutboxMessage
from guichet_payments.domain import Batch, EnvelopeFigures, Payment


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
        source: str | None = None,
        recovery_order_id: str | None = None,
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
            source=source,
            recovery_order_id=recovery_order_id,
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
            source=payment.source,
        )

    def issued(self, event: PaymentIssuedV1) -> OutboxMessage:
        return OutboxMessage.of_event(self.topic_prefix + ISSUED_TOPIC, event.payment_id, event)

    def envelope(self, figures: EnvelopeFigures, now: dt.datetime) -> OutboxMessage:
        """The envelope as it stands, keyed by programme (a compacted topic: the latest snapshot wins)."""
        event = BudgetV1(
            event_id=uuid.uuid4(),
            occurred_at=now,
            programme=figures.programme,
            total_cents=figures.total_cents,
            reserved_cents=figures.reserved_cents,
            paid_cents=figures.paid_cents,
            released_cents=figures.released_cents,
            waitlisted=figures.waitlisted,
        )
        return OutboxMessage.of_event(self.topic_prefix + BUDGETS_TOPIC, figures.programme, event)

    def sepa_file(
        self, batch: Batch, file_name: str, xml: bytes, now: dt.datetime, seal: Callable[[str], str]
    ) -> OutboxMessage:
        """`xml`, the file of `batch`, whole: gzip-compressed then base64-encoded, for finance to download from the
        back-office (a pain.001 compresses about tenfold: a batch of 500 transfers, 166 kB, travels in 17 kB), then
        sealed by `seal` under the batch's key (it names account holders and their IBANs): `content_gzip_base64`
        is `sealed:v1:bank:batch-<id>:...`, which opens to that base64 text (`batch_keys`)."""
        event = SepaFileV1(
            event_id=uuid.uuid4(),
            occurred_at=now,
            batch_id=batch.batch_id,
            programme=batch.programme,
            file_name=file_name,
            payments=batch.transfer_count,
            total_cents=batch.control_sum_cents,
            sha256=batch.file_sha256,
            content_gzip_base64=seal(base64.b64encode(gzip.compress(xml, mtime=0)).decode("ascii")),
        )
        return OutboxMessage.of_event(self.topic_prefix + SEPA_FILES_TOPIC, batch.batch_id, event)
