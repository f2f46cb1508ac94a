"""What the read model learns from the services' events, as plain values; and the one rule it applies itself: which
payment state a claim's status means. No I/O: handlers translate the contracts into these, repositories store them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

# What the back-office sets aside, in its own database, when it cannot project a record of a topic another service
# owns (or of a dead-letter topic): keyed by the record's coordinates, counted in /metrics and `guichet status`.
UNPROJECTABLE_RECORD = "unprojectable_record"

# A claim status that moves its payment, and the payment state it means (payments' own state names).
PAYMENT_STATES = {
    "payment_scheduled": "scheduled",
    "payment_sent": "sent",
    "paid": "settled",
    "payment_returned": "returned",
    # payments rejects the claim when an operator cancels its blocked attempt: the reservation is given back.
    "rejected": "released",
}


@dataclass(frozen=True)
class Invoice:
    position: int
    number: str
    issued_on: dt.date
    supplier_name: str
    supplier_siren: str | None
    amount_excl_tax_cents: int
    amount_incl_tax_cents: int
    category: str


@dataclass(frozen=True)
class Registration:
    """A claim intake registered: who asked, when, with which invoices."""

    claim_id: str
    programme: str
    siren: str
    company_name: str
    submitted_at: dt.datetime
    applicant: Mapping[str, Any]
    contact: Mapping[str, Any] | None  # opened; None once erased
    iban_last4: str | None  # None once erased
    invoices: tuple[Invoice, ...]


@dataclass(frozen=True)
class StatusChange:
    event_id: UUID
    claim_id: str
    programme: str
    siren: str | None
    status: str
    reasons: tuple[str, ...]
    amount_cents: int | None
    payment_id: str | None
    rule_version: str | None
    occurred_at: dt.datetime


@dataclass(frozen=True)
class PaymentMove:
    """A payment's state as one claim status says it is."""

    payment_id: str
    claim_id: str
    programme: str
    siren: str | None
    amount_cents: int | None
    state: str
    reasons: tuple[str, ...]
    occurred_at: dt.datetime


def payment_move(change: StatusChange) -> PaymentMove | None:
    """The payment state `change` announces, or None for a status that says nothing of a payment."""
    state = PAYMENT_STATES.get(change.status)
    if state is None or change.payment_id is None:
        return None
    return PaymentMove(
        change.payment_id,
        change.claim_id,
        change.programme,
        change.siren,
        change.amount_cents,
        state,
        change.reasons,
        change.occurred_at,
    )


@dataclass(frozen=True)
class Judgement:
    event_id: UUID
    claim_id: str
    programme: str
    siren: str
    status: str
    rule_version: str
    reasons: tuple[str, ...]
    rules: tuple[Mapping[str, Any], ...]  # {code, passed, observed}
    grant_amount_cents: int | None
    decided_by: str | None
    occurred_at: dt.datetime


@dataclass(frozen=True)
class IssuedAttempt:
    """One attempt at paying, as finance was told (the IBAN's last four characters only)."""

    payment_id: str
    attempt: int
    claim_id: str
    programme: str
    siren: str
    end_to_end_id: str
    batch_id: str
    amount_cents: int
    beneficiary_name: str
    iban_last4: str
    requested_execution_date: dt.date
    issued_at: dt.datetime

    def payment_move(self) -> PaymentMove:
        """An attempt announced to finance is in a SEPA file: its payment is sent."""
        return PaymentMove(
            self.payment_id, self.claim_id, self.programme, self.siren, self.amount_cents, "sent", (), self.issued_at
        )


@dataclass(frozen=True)
class SepaFile:
    batch_id: str
    programme: str | None
    file_name: str
    payments: int
    total_cents: int
    sha256: str
    content_gzip: bytes | None  # a file written before sealing, as it travelled
    content_sealed: str | None  # sealed under its batch's key (kind bank): opened at download time
    written_at: dt.datetime


@dataclass(frozen=True)
class Budget:
    programme: str
    total_cents: int
    reserved_cents: int
    paid_cents: int
    released_cents: int
    waitlisted: int
    as_of: dt.datetime


@dataclass(frozen=True)
class Email:
    event_id: UUID
    claim_id: str
    programme: str
    status: str
    subject: str
    recipient: str | None  # opened; None once erased
    outcome: str
    occurred_at: dt.datetime


@dataclass(frozen=True)
class SetAsideChange:
    service: str
    kind: str
    item_id: str
    state: str
    reason: str
    decided_by: str | None
    occurred_at: dt.datetime


@dataclass(frozen=True)
class CommandOutcome:
    command_id: UUID
    service: str
    outcome: str
    detail: str
    occurred_at: dt.datetime


@dataclass(frozen=True)
class DeadLetter:
    """A record of a `<topic>.dlq` topic: where it sits there, where it came from, why, and its raw bytes."""

    dlq_topic: str
    dlq_partition: int
    dlq_offset: int
    owner: str
    original_topic: str
    original_partition: int | None
    original_offset: int | None
    reason: str
    attempts: int | None
    key: bytes | None
    value: bytes
    headers: bytes  # guichet_common.outbox.encode_headers
    dead_lettered_at: dt.datetime

    @property
    def id(self) -> str:
        return f"{self.dlq_topic}:{self.dlq_partition}:{self.dlq_offset}"
