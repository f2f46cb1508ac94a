"""Contract messages and raw dead-letter records into the read model's values (guichet_backoffice.domain)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import gzip
import hashlib
import zlib
from collections.abc import Mapping

from guichet_backoffice.domain import (
    Budget,
    CommandOutcome,
    DeadLetter,
    Email,
    Invoice,
    IssuedAttempt,
    Judgement,
    Registration,
    SepaFile,
    SetAsideChange,
    StatusChange,
)
from guichet_common.contracts import ClaimStatusV1, PaymentIssuedV1
from guichet_common.contracts.backoffice import BudgetV1, CommandOutcomeV1, EmailV1, JudgementV1, SepaFileV1, SetAsideV1
from guichet_common.contracts.internal import ClaimRegisteredV1
from guichet_common.outbox import encode_headers
from guichet_common.privacy.sealing import is_sealed
from guichet_common.records import InboundRecord
from guichet_common.safe_text import printable_bytes


def status(event: ClaimStatusV1) -> StatusChange:
    return StatusChange(
        event.event_id,
        event.claim_id,
        event.programme,
        event.siren,
        event.status,
        tuple(event.reasons),
        event.amount_cents,
        event.payment_id,
        event.rule_version,
        event.occurred_at,
    )


# What the Opener made of each sealed value: its plaintext, or None when its key was destroyed (erased).
Opened = Mapping[str, str | None]


def clear(value: str | None, opened: Opened) -> str | None:
    """A field as the read model stores it: opened when sealed, as it is when written before sealing existed."""
    return opened.get(value) if value is not None and is_sealed(value) else value


def registration(event: ClaimRegisteredV1, opened: Opened) -> Registration:
    claim = event.claim
    contact = {name: clear(value, opened) for name, value in claim.contact.model_dump(mode="json").items()}
    iban = clear(claim.bank_account.iban, opened)
    applicant = claim.applicant.model_dump(mode="json")
    invoices = tuple(
        Invoice(
            position,
            i.invoice_number,
            i.issued_on,
            i.supplier_name,
            i.supplier_siren,
            i.amount_excl_tax_cents,
            i.amount_incl_tax_cents,
            i.category,
        )
        for position, i in enumerate(claim.invoices, start=1)
    )
    return Registration(
        claim.claim_id,
        claim.programme,
        claim.applicant.siren,
        claim.applicant.legal_name,
        claim.submitted_at,
        applicant,
        None if contact["email"] is None else contact,  # erased before it was read: nothing to keep
        None if iban is None else iban[-4:],
        invoices,
    )


def judgement(event: JudgementV1) -> Judgement:
    return Judgement(
        event.event_id,
        event.claim_id,
        event.programme,
        event.siren,
        event.status,
        event.rule_version,
        tuple(event.reasons),
        tuple(rule.model_dump(mode="json") for rule in event.rules),
        event.grant_amount_cents,
        event.decided_by,
        event.occurred_at,
    )


def issued(event: PaymentIssuedV1) -> IssuedAttempt:
    return IssuedAttempt(
        event.payment_id,
        event.attempt,
        event.claim_id,
        event.programme,
        event.siren,
        event.end_to_end_id,
        event.batch_id,
        event.amount_cents,
        event.beneficiary_name,
        event.iban[-4:],
        event.requested_execution_date,
        event.occurred_at,
    )


def gzip_content(event: SepaFileV1) -> bytes | None:
    """The file as it travelled (gzip), or None when it is not base64 of a gzip of a file with its sha256. A sealed
    file is checked when it is opened (read_model.sepa_file): the back-office does not open it to store it."""
    if is_sealed(event.content_gzip_base64):
        return b""
    try:
        compressed = base64.b64decode(event.content_gzip_base64, validate=True)
        content = gzip.decompress(compressed)
    except (binascii.Error, ValueError, OSError, EOFError, zlib.error):
        return None
    return compressed if hashlib.sha256(content).hexdigest() == event.sha256 else None


def sepa_file(event: SepaFileV1, content_gzip: bytes) -> SepaFile:
    sealed = is_sealed(event.content_gzip_base64)
    return SepaFile(
        event.batch_id,
        event.programme,
        event.file_name,
        event.payments,
        event.total_cents,
        event.sha256,
        None if sealed else content_gzip,
        event.content_gzip_base64 if sealed else None,
        event.occurred_at,
    )


def budget(event: BudgetV1) -> Budget:
    return Budget(
        event.programme,
        event.total_cents,
        event.reserved_cents,
        event.paid_cents,
        event.released_cents,
        event.waitlisted,
        event.occurred_at,
    )


def email(event: EmailV1, opened: Opened) -> Email:
    return Email(
        event.event_id,
        event.claim_id,
        event.programme,
        event.status,
        event.subject,
        clear(event.recipient, opened),
        event.outcome,
        event.occurred_at,
    )


def set_aside(event: SetAsideV1) -> SetAsideChange:
    return SetAsideChange(
        event.service, event.kind, event.item_id, event.state, event.reason, event.decided_by, event.occurred_at
    )


def outcome(event: CommandOutcomeV1) -> CommandOutcome:
    return CommandOutcome(event.command_id, event.service, event.outcome, event.detail, event.occurred_at)


def dead_letter(record: InboundRecord, owner: str) -> DeadLetter:
    """A `.dlq` record as it is: its dlq.* headers say why and where from (guichet_common.records.dead_letter)."""
    headers = {name: value for name, value in record.headers if value is not None}

    def text(name: str, default: str = "") -> str:
        return printable_bytes(headers[name], 2000) if name in headers else default

    def number(name: str) -> int | None:
        return int(found) if (found := text(name)).isdigit() else None

    return DeadLetter(
        record.topic,
        record.partition,
        record.offset,
        owner,
        text("dlq.original.topic", record.topic.removesuffix(".dlq")),
        number("dlq.original.partition"),
        number("dlq.original.offset"),
        text("dlq.reason", "(no reason given)"),
        number("dlq.attempts"),
        record.key,
        record.value or b"",
        encode_headers(record.headers),
        dt.datetime.fromtimestamp(record.timestamp_ms / 1000, dt.UTC),
    )
