"""The frozen values guichet_backoffice.read_model returns, each made from a row of the read model.

Personal data (an e-mail's recipient, a dead letter's payload, the applicant's contact) is here as stored: the
pages mask it unless a person asks, and the audit trail records that they did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from guichet_backoffice.timeline import Row, TimelineEvent
from guichet_common.outbox import decode_headers
from guichet_common.safe_text import printable


@dataclass(frozen=True)
class QueueEntry:
    claim_id: str
    programme: str | None
    siren: str | None
    company_name: str | None
    reasons: tuple[str, ...]
    grant_amount_cents: int | None
    queued_at: dt.datetime  # when it went under review
    received_at: dt.datetime | None
    other_claims: int  # the company's other claims


@dataclass(frozen=True)
class ClaimView:
    claim_id: str
    programme: str | None
    siren: str | None
    company_name: str | None
    status: str | None
    status_reasons: tuple[str, ...]
    submitted_at: dt.datetime | None
    grant_amount_cents: int | None
    eligibility_status: str | None
    registered: bool
    iban_last4: str | None
    applicant: Mapping[str, Any]
    contact: Mapping[str, Any]  # personal data

    @classmethod
    def of(cls, r: Row) -> ClaimView:
        return cls(
            r["claim_id"],
            r["programme"],
            r["siren"],
            r["company_name"],
            r["status"],
            tuple(r["status_reasons"]),
            r["received_at"],
            r["amount_cents"],
            r["eligibility_status"],
            r["registered"],
            r["iban_last4"],
            r["applicant"] or {},
            r["contact"] or {},
        )


@dataclass(frozen=True)
class RuleView:
    code: str
    passed: bool
    observed: Mapping[str, Any]


@dataclass(frozen=True)
class JudgementView:
    status: str
    occurred_at: dt.datetime
    rule_version: str
    decided_by: str | None
    reasons: tuple[str, ...]
    rules: tuple[RuleView, ...]
    grant_amount_cents: int | None


def judgement_view(r: Row) -> JudgementView:
    rules = tuple(RuleView(str(x.get("code", "")), bool(x.get("passed")), x.get("observed") or {}) for x in r["rules"])
    return JudgementView(
        r["status"],
        r["occurred_at"],
        r["rule_version"],
        r["decided_by"],
        tuple(r["reasons"]),
        rules,
        r["grant_amount_cents"],
    )


@dataclass(frozen=True)
class InvoiceView:
    number: str
    issuer_siren: str | None
    supplier_name: str
    issued_on: dt.date
    category: str
    amount_excl_tax_cents: int
    amount_incl_tax_cents: int

    @classmethod
    def of(cls, r: Row) -> InvoiceView:
        return cls(
            r["invoice_number"],
            r["supplier_siren"],
            r["supplier_name"],
            r["issued_on"],
            r["category"],
            r["amount_excl_tax_cents"],
            r["amount_incl_tax_cents"],
        )


@dataclass(frozen=True)
class OtherClaim:
    claim_id: str
    programme: str | None
    status: str | None
    submitted_at: dt.datetime | None


@dataclass(frozen=True)
class EmailView:
    occurred_at: dt.datetime
    status: str
    subject: str
    recipient: str | None  # personal data; None once erased
    outcome: str

    @classmethod
    def of(cls, r: Row) -> EmailView:
        return cls(r["occurred_at"], r["status"], r["subject"], r["recipient"], r["outcome"])


@dataclass(frozen=True)
class PaymentView:
    payment_id: str
    claim_id: str
    programme: str
    amount_cents: int | None
    status: str
    reasons: tuple[str, ...]
    return_reason: str | None
    blocked: bool
    batch_id: str | None
    attempts: int
    updated_at: dt.datetime


def payment_view(r: Row) -> PaymentView:
    reasons = tuple(r["reasons"])
    return PaymentView(
        r["payment_id"],
        r["claim_id"],
        r["programme"],
        r["amount_cents"],
        r["status"],
        reasons,
        ", ".join(reasons) if r["status"] == "returned" and reasons else None,
        r["status"] == "scheduled" and "PAYMENT_BLOCKED" in reasons,
        r["batch_id"],
        r["attempts"] or 0,
        r["status_at"],
    )


@dataclass(frozen=True)
class ClaimDetail:
    claim: ClaimView
    judgement: JudgementView | None  # the latest
    judgements: tuple[JudgementView, ...]
    invoices: tuple[InvoiceView, ...]
    other_claims: tuple[OtherClaim, ...]
    timeline: tuple[TimelineEvent, ...]
    emails: tuple[EmailView, ...]
    payments: tuple[PaymentView, ...]
    # The kinds of its personal data the back-office erased (contact, bank), each with its "effacé le JJ/MM/AAAA".
    erased: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeadLetterView:
    id: str  # `<topic>.dlq:<partition>:<offset>` as named on the broker: what a command targets
    service: str  # the owner, who replays or discards it
    original_topic: str
    original_partition: int | None
    original_offset: int | None
    reason: str
    attempts: int | None
    dead_lettered_at: dt.datetime
    state: str  # waiting | replayed | discarded
    acted_by: str | None
    acted_at: dt.datetime | None
    key: bytes | None
    payload: bytes  # personal data: the record's value as it was
    headers: tuple[tuple[str, str], ...]  # printable; dlq.* among them


def dead_letter_view(r: Row) -> DeadLetterView:
    state = {"dead_letter_replay": "replayed", "dead_letter_discard": "discarded"}.get(r["action"], "waiting")
    headers = tuple(
        (printable(name, 200), "" if value is None else printable(value.decode("utf-8", "backslashreplace"), 2000))
        for name, value in decode_headers(r["headers"])
    )
    return DeadLetterView(
        r["id"],
        r["owner"],
        r["original_topic"],
        r["original_partition"],
        r["original_offset"],
        r["reason"],
        r["attempts"],
        r["dead_lettered_at"],
        state,
        r["requested_by"],
        r["acted_at"],
        r["key"],
        r["value"],
        headers,
    )


@dataclass(frozen=True)
class SetAsideView:
    service: str
    kind: str
    item_id: str
    state: str
    reason: str
    decided_by: str | None
    decision_reason: str | None
    set_aside_at: dt.datetime
    occurred_at: dt.datetime  # of its latest state

    @classmethod
    def of(cls, r: Row) -> SetAsideView:
        return cls(
            r["service"],
            r["kind"],
            r["item_id"],
            r["state"],
            r["reason"],
            r["decided_by"],
            r["decision_reason"],
            r["set_aside_at"],
            r["state_at"],
        )


@dataclass(frozen=True)
class SepaBatch:
    batch_id: str
    programme: str | None
    file_name: str | None  # None until the file's event arrives
    sha256: str | None
    payments: int
    total_cents: int
    occurred_at: dt.datetime
    has_file: bool
    erased_at: dt.datetime | None = None  # its file can no longer be read (its batch's key was destroyed)

    @classmethod
    def of(cls, r: Row) -> SepaBatch:
        return cls(
            r["batch_id"],
            r["programme"],
            r["file_name"],
            r["sha256"],
            r["payments"],
            r["total_cents"],
            r["occurred_at"],
            r["has_file"],
            r["erased_at"],
        )


@dataclass(frozen=True)
class SepaFileDownload:
    batch_id: str
    file_name: str
    content: bytes  # personal data: every beneficiary's name and IBAN (empty when erased or not yet readable)
    sha256: str
    erased: bool = False  # its batch's key was destroyed: the file can no longer be read
    erased_at: dt.datetime | None = None
    key_missing: bool = False  # sealed under a batch key the back-office has not received yet


@dataclass(frozen=True)
class WaitingClaim:
    position: int
    claim_id: str
    programme: str
    siren: str | None
    company_name: str | None
    amount_cents: int | None
    queued_at: dt.datetime

    @classmethod
    def of(cls, position: int, r: Row) -> WaitingClaim:
        return cls(
            position, r["claim_id"], r["programme"], r["siren"], r["company_name"], r["amount_cents"], r["queued_at"]
        )


@dataclass(frozen=True)
class BudgetView:
    programme: str
    total_cents: int
    reserved_cents: int
    paid_cents: int
    released_cents: int
    waitlisted: int
    as_of: dt.datetime

    @property
    def available_cents(self) -> int:
        return self.total_cents - self.reserved_cents


def budget_view(r: Row) -> BudgetView:
    return BudgetView(
        r["programme"],
        r["total_cents"],
        r["reserved_cents"],
        r["paid_cents"],
        r["released_cents"],
        r["waitlisted"],
        r["as_of"],
    )
