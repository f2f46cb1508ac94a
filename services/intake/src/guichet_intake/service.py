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
from guichet_common.contracts.internal import APPLICANT_CONTACTS_TOPIC, CLAIMS_REGISTERED_TOPIC
from guichet_common.contracts.status import TOPIC as STATUS_TOPIC
from guichet_common.inbox import first_sightings
from guichet_common.outbox import OutboxMessage, write_outbox
from guichet_common.records import InboundRecord, Unreadable, dead_letter, describe_validation_error, read_json_object
from guichet_intake import domain, repository
from guichet_intake.salvage import Salvaged, salvage

log = structlog.get_logger()


@dataclass
class _Batch:
    """What a batch has decided so far, written to the database in one go at its end."""

    registered: dict[str, str]  # claim_id -> content digest, stored ones and this batch's
    registrations: list[repository.Registration] = field(default_factory=list)
    refusals: list[repository.Refusal] = field(default_factory=list)


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
        claim_ids = [str(payload["claim"].get("claim_id")) for _, payload, _ in readable if _claim_object(payload)]
        batch = _Batch(registered=await repository.registered_digests(conn, claim_ids))
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
            details = describe_validation_error(error)
            found = salvage(payload)
            if found is None:
                return [self._dead_letter(record, "SCHEMA_INVALID without a usable claim_id: " + "; ".join(details))]
            return self._refuse(batch, event_id, found, [domain.SCHEMA_INVALID], details)
        claim = event.claim
        codes = domain.identifier_refusals(
            domain.Identifiers(claim.applicant.siren, claim.applicant.siret, claim.bank_account.iban)
        )
        codes += domain.programme_refusals(claim.programme, self.programmes)
        digest = _digest(payload["claim"])
        existing = batch.registered.get(claim.claim_id)
        if existing == digest:
            log.info("submission_same_claim_again", claim_id=claim.claim_id, event_id=str(event_id))
            return []
        if existing is not None:
            codes.append(domain.CLAIM_ID_CONFLICT)
        found = Salvaged(
            claim.claim_id, claim.programme, claim.applicant.siren, claim.contact.email, claim.contact.full_name
        )
        if codes:
            return self._refuse(batch, event_id, found, codes, [], iban=claim.bank_account.iban)
        batch.registered[claim.claim_id] = digest  # a later copy in this batch is judged against this one
        batch.registrations.append(
            repository.Registration(
                claim_id=claim.claim_id,
                event_id=event_id,
                programme=claim.programme,
                siren=claim.applicant.siren,
                digest=digest,
                payload=payload["claim"],
                submitted_at=claim.submitted_at,
            )
        )
        log.info("claim_registered", claim_id=claim.claim_id, event_id=str(event_id))
        registered = ClaimRegisteredV1(event_id=uuid.uuid4(), occurred_at=_now(), correlation_id=event_id, claim=claim)
        return [
            self._contact(found, event_id, iban=claim.bank_account.iban),
            self._status(found, "received", []),
            OutboxMessage.of_event(self._topic(CLAIMS_REGISTERED_TOPIC), claim.applicant.siren, registered),
        ]

    def _refuse(
        self,
        batch: _Batch,
        event_id: uuid.UUID,
        found: Salvaged,
        codes: list[str],
        details: list[str],
        *,
        iban: str | None = None,
    ) -> list[OutboxMessage]:
        batch.refusals.append(repository.Refusal(event_id, found.claim_id, codes, details))
        log.info("submission_refused", claim_id=found.claim_id, event_id=str(event_id), codes=codes)
        messages = [self._status(found, "received", []), self._status(found, "refused", codes)]
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
            iban_last4=domain.last4(iban) if iban else None,
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


def _claim_object(payload: dict[str, Any]) -> bool:
    return isinstance(payload.get("claim"), dict)


def _digest(claim: dict[str, Any]) -> str:
    # Canonical: sorted keys, compact, UTF-8 (what json.dumps(sort_keys, separators, ensure_ascii=False) gives).
    return hashlib.sha256(orjson.dumps(claim, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)
