"""Intake use case: each submission is registered (received) or refused, once, in one transaction per batch."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
import structlog
from pydantic import ValidationError

from guichet_common.contracts import (
    ApplicantContactV1,
    ClaimRegisteredV1,
    ClaimStatusV1,
    ClaimSubmittedV1,
)
from guichet_common.contracts.claim_submitted import SubmittedClaim
from guichet_common.contracts.internal import APPLICANT_CONTACTS_TOPIC, CLAIMS_REGISTERED_TOPIC
from guichet_common.contracts.status import TOPIC as STATUS_TOPIC
from guichet_common.inbox import first_sightings
from guichet_common.outbox import OutboxMessage, write_outbox
from guichet_common.records import InboundRecord, Unreadable, dead_letter, describe_validation_error, read_json_object
from guichet_common.safe_text import printable
from guichet_intake import domain, edge, repository
from guichet_intake.salvage import Salvaged, addressee, salvage, usable_claim_id

log = structlog.get_logger()


@dataclass
class _Batch:
    """What a batch has decided so far, written to the database in one go at its end."""

    registered: dict[str, str]  # claim_id -> content digest, stored ones and this batch's
    owners: dict[str, str]  # claim_id -> digest of the refused submission that took it first
    registrations: list[repository.Registration] = field(default_factory=list)
    refusals: list[repository.Refusal] = field(default_factory=list)

    def taken_by_other_content(self, claim_id: str, digest: str) -> bool:
        owner = self.owners.get(claim_id)
        return owner is not None and owner != digest


@dataclass(frozen=True)
class IntakeService:
    programmes: frozenset[str]
    topic_prefix: str = ""

    async def apply_submissions(self, conn: asyncpg.Connection, records: Sequence[InboundRecord]) -> None:
        """Register or refuse every record of a batch; the caller holds the transaction."""
        outbox: list[OutboxMessage] = []
        readable: list[tuple[InboundRecord, dict[str, Any], uuid.UUID]] = []
        for record in records:
            try:
                payload = read_json_object(record)
            except Unreadable as error:
                outbox.append(self._dead_letter(record, str(error)))
                continue
            readable.append((record, payload, _event_id(payload, record)))
        fresh = await first_sightings(conn, records[0].topic, [eid for _, _, eid in readable]) if readable else set()
        claim_ids = [claim_id for _, payload, _ in readable if (claim_id := _usable_claim_id(payload)) is not None]
        batch = _Batch(
            registered=await repository.registered_digests(conn, claim_ids),
            owners=await repository.refused_owner_digests(conn, claim_ids),
        )
        for record, payload, event_id in readable:
            if event_id not in fresh:
                log.info("submission_duplicate_ignored", event_id=str(event_id))
                continue
            fresh.discard(event_id)  # a second copy inside the same batch is a duplicate too
            outbox += self._apply_one(batch, record, payload, event_id)
        await repository.register_claims(conn, batch.registrations)
        await repository.record_refusals(conn, batch.refusals)
        await write_outbox(conn, outbox)

    def _apply_one(
        self, batch: _Batch, record: InboundRecord, payload: dict[str, Any], event_id: uuid.UUID
    ) -> list[OutboxMessage]:
        try:
            event = ClaimSubmittedV1.model_validate_json(record.value or b"")
        except ValidationError as error:
            return self._schema_invalid(batch, record, payload, event_id, error)
        claim = event.claim
        digest = _digest(payload["claim"])
        existing = batch.registered.get(claim.claim_id)
        if existing == digest:
            log.info("submission_same_claim_again", claim_id=claim.claim_id, event_id=str(event_id))
            return []
        found = addressee(
            claim.claim_id, claim.programme, claim.applicant.siren, claim.contact.email, claim.contact.full_name
        )
        if existing is not None:
            return self._conflict_with_registered(batch, record, event_id, found, [])
        codes = domain.identifier_refusals(
            domain.Identifiers(claim.applicant.siren, claim.applicant.siret, claim.bank_account.iban)
        )
        codes += domain.programme_refusals(claim.programme, self.programmes)
        verdict = edge.judge(_edge_view(event, payload))
        codes += verdict.codes
        if batch.taken_by_other_content(claim.claim_id, digest):
            return self._refuse(batch, event_id, found, [*codes, domain.CLAIM_ID_CONFLICT], verdict.details)
        if codes or verdict.bank is None:
            iban = claim.bank_account.iban
            return self._refuse(batch, event_id, found, codes, verdict.details, digest=digest, iban=iban)
        return self._register(batch, event_id, payload, claim, digest, found, verdict.bank)

    def _register(
        self,
        batch: _Batch,
        event_id: uuid.UUID,
        payload: dict[str, Any],
        claim: SubmittedClaim,
        digest: str,
        found: Salvaged,
        bank: edge.BankAccount,
    ) -> list[OutboxMessage]:
        """Store and forward the claim with its bank account in canonical form (what the SEPA file will carry)."""
        canonical_bank = {"iban": bank.iban, "bic": bank.bic, "holder_name": bank.holder_name}
        claim = claim.model_copy(update={"bank_account": claim.bank_account.model_copy(update=canonical_bank)})
        stored = {**payload["claim"], "bank_account": {**payload["claim"]["bank_account"], **canonical_bank}}
        if bank.bic is None:
            stored["bank_account"].pop("bic", None)
        batch.registered[claim.claim_id] = digest  # a later copy in this batch is judged against this one
        batch.registrations.append(
            repository.Registration(
                claim_id=claim.claim_id,
                event_id=event_id,
                programme=claim.programme,
                siren=claim.applicant.siren,
                digest=digest,
                payload=stored,
                submitted_at=claim.submitted_at,
            )
        )
        log.info("claim_registered", claim_id=claim.claim_id, event_id=str(event_id))
        registered = ClaimRegisteredV1(event_id=uuid.uuid4(), occurred_at=_now(), correlation_id=event_id, claim=claim)
        return [
            self._contact(found, event_id, iban=bank.iban),
            self._status(found, "received", []),
            OutboxMessage.of_event(self._topic(CLAIMS_REGISTERED_TOPIC), claim.applicant.siren, registered),
        ]

    def _schema_invalid(
        self,
        batch: _Batch,
        record: InboundRecord,
        payload: dict[str, Any],
        event_id: uuid.UUID,
        error: ValidationError,
    ) -> list[OutboxMessage]:
        # Field paths can hold the sender's own keys: escaped so that the details are safe in jsonb and on screen.
        details = [printable(line, 300) for line in describe_validation_error(error)]
        found = salvage(payload)
        if found is None:
            return [self._dead_letter(record, "SCHEMA_INVALID without a usable claim_id: " + "; ".join(details))]
        codes = [domain.SCHEMA_INVALID]
        digest = _digest(payload["claim"])
        if found.claim_id in batch.registered:
            return self._conflict_with_registered(batch, record, event_id, found, codes)
        if batch.taken_by_other_content(found.claim_id, digest):
            return self._refuse(batch, event_id, found, [*codes, domain.CLAIM_ID_CONFLICT], details)
        return self._refuse(batch, event_id, found, codes, details, digest=digest)

    def _conflict_with_registered(
        self, batch: _Batch, record: InboundRecord, event_id: uuid.UUID, found: Salvaged, codes: list[str]
    ) -> list[OutboxMessage]:
        """Other content under a registered claim_id: recorded, and handed to operators as a dead letter.

        Its `refused` cannot go on claims.status.v1: that topic is keyed by claim_id, so the portal would read the
        registered claim as refused, and notifications would mail the registered applicant (the first contact of
        the claim) that their claim was not registered.
        """
        codes = [*codes, domain.CLAIM_ID_CONFLICT]
        batch.refusals.append(repository.Refusal(event_id, found.claim_id, codes, []))
        log.warning("submission_conflicts_with_registered_claim", claim_id=found.claim_id, event_id=str(event_id))
        reason = "CLAIM_ID_CONFLICT: the claim_id is registered with other content; not announced on its status"
        return [self._dead_letter(record, reason)]

    def _refuse(
        self,
        batch: _Batch,
        event_id: uuid.UUID,
        found: Salvaged,
        codes: list[str],
        details: list[str],
        *,
        digest: str | None = None,
        iban: str | None = None,
    ) -> list[OutboxMessage]:
        """Refused with its codes. Only a refusal that takes its claim_id (`digest`) passes its contact on: the
        contact of a conflicting submission must never reach the claim_id's e-mails."""
        batch.refusals.append(repository.Refusal(event_id, found.claim_id, codes, details, digest))
        log.info("submission_refused", claim_id=found.claim_id, event_id=str(event_id), codes=codes)
        messages = [self._status(found, "received", []), self._status(found, "refused", codes)]
        if digest is not None:
            batch.owners.setdefault(found.claim_id, digest)
            if found.email is not None:
                messages.insert(0, self._contact(found, event_id, iban=iban))
        return messages

    def _status(self, found: Salvaged, status: str, reasons: list[str]) -> OutboxMessage:
        event = ClaimStatusV1(
            event_id=uuid.uuid4(),
            occurred_at=_now(),
            claim_id=found.claim_id,
            programme=found.programme,
            siren=found.siren,
            status=status,  # type: ignore[arg-type]
            reasons=reasons,
        )
        return OutboxMessage.of_event(self._topic(STATUS_TOPIC), found.claim_id, event)

    def _contact(self, found: Salvaged, event_id: uuid.UUID, *, iban: str | None) -> OutboxMessage:
        contact = ApplicantContactV1(
            event_id=uuid.uuid4(),
            occurred_at=_now(),
            correlation_id=event_id,
            claim_id=found.claim_id,
            programme=found.programme,
            email=found.email or "",
            full_name=found.full_name or "",
            iban_last4=domain.last4(iban) if iban and domain.iban_is_valid(iban) else None,
        )
        return OutboxMessage.of_event(self._topic(APPLICANT_CONTACTS_TOPIC), found.claim_id, contact)

    def _dead_letter(self, record: InboundRecord, reason: str) -> OutboxMessage:
        log.warning("submission_dead_lettered", coordinates=record.coordinates, reason=reason)
        return dead_letter(record, reason)

    def _topic(self, name: str) -> str:
        return self.topic_prefix + name


def _event_id(payload: dict[str, Any], record: InboundRecord) -> uuid.UUID:
    try:
        return uuid.UUID(str(payload.get("event_id")))
    except ValueError:
        return record.fallback_event_id()


def _edge_view(event: ClaimSubmittedV1, payload: dict[str, Any]) -> edge.Submission:
    claim = event.claim
    return edge.Submission(
        payload=payload,
        submitted_at=claim.submitted_at,
        activity_started_on=claim.applicant.activity_started_on,
        bank=edge.BankAccount(claim.bank_account.iban, claim.bank_account.bic, claim.bank_account.holder_name),
        invoices=tuple(
            edge.Invoice(i.amount_excl_tax_cents, i.amount_incl_tax_cents, i.issued_on) for i in claim.invoices
        ),
    )


def _usable_claim_id(payload: dict[str, Any]) -> str | None:
    claim = payload.get("claim")
    return usable_claim_id(claim.get("claim_id")) if isinstance(claim, dict) else None


def _digest(claim: dict[str, Any]) -> str:
    # Canonical: sorted keys, compact, UTF-8 (what json.dumps(sort_keys, separators, ensure_ascii=False) gives).
    return hashlib.sha256(orjson.dumps(claim, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)
