"""Intake's use case: each new submission is registered (received) or refused, once, in one go per batch.

It runs on a unit of work (no connection, no SQL) and returns what to publish: statuses, contacts and registered
claims, and, as dead letters, the submissions that cannot be announced under a claim_id of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TypeAlias

import structlog

from guichet_common.contracts import ClaimRegisteredV1, ClaimStatusV1
from guichet_common.contracts.claim_submitted import SubmittedClaim
from guichet_common.contracts.internal import CLAIMS_REGISTERED_TOPIC
from guichet_common.contracts.status import TOPIC as STATUS_TOPIC
from guichet_common.contracts.status import ClaimStatus
from guichet_common.logging import mask_text
from guichet_common.outbox import OutboxMessage
from guichet_common.pipeline import DeadLetter
from guichet_common.privacy.sealing import DEVELOPMENT_MASTER_KEY, MasterKey
from guichet_common.safe_text import printable
from guichet_intake import domain, edge
from guichet_intake.domain import Refusal, Registration
from guichet_intake.keys import ClaimKeys, KeyErased
from guichet_intake.salvage import Salvaged, addressee, salvage
from guichet_intake.sealed import contact_message, iban_fingerprint, sealed_claim
from guichet_intake.submission_model import (
    ClaimsUnitOfWork,
    Submission,
    content_digest,
    edge_view,
    usable_claim_id_of,
)

log = structlog.get_logger()
DEVELOPMENT_MASTER = MasterKey(DEVELOPMENT_MASTER_KEY)  # unit tests' default; the service passes its settings' key


Publication: TypeAlias = OutboxMessage | DeadLetter[Submission]


@dataclass
class _Batch:
    """What a batch has decided so far, written to the repository in one go at its end."""

    registered: dict[str, str]  # claim_id -> content digest, stored ones and this batch's
    owners: dict[str, str]  # claim_id -> digest of the refused submission that took it first
    keys: ClaimKeys  # the batch's claims' data keys, held or made now
    registrations: list[Registration] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)

    def taken_by_other_content(self, claim_id: str, digest: str) -> bool:
        owner = self.owners.get(claim_id)
        return owner is not None and owner != digest


@dataclass(frozen=True)
class IntakeService:
    programmes: frozenset[str]
    topic_prefix: str = ""
    kafka_portals: frozenset[str] = frozenset()  # portals with a topic of their own: no other door may use their name
    master: MasterKey = DEVELOPMENT_MASTER  # wraps the claims' data keys (settings.master_key())

    async def apply_submissions(self, uow: ClaimsUnitOfWork, submissions: Sequence[Submission]) -> list[Publication]:
        """Register or refuse each submission of a batch (new ones: the inbox has dropped those seen before), with
        one lookup and one write per table for the whole batch. Returns what to publish, in order; a submission that
        cannot be announced (no usable claim_id, or a claim_id registered with other content) comes back as a
        dead letter."""
        claim_ids = [claim_id for s in submissions if (claim_id := usable_claim_id_of(s.payload)) is not None]
        batch = _Batch(
            registered=await uow.claims.registered_digests(claim_ids),
            owners=await uow.claims.refused_owner_digests(claim_ids),
            keys=await ClaimKeys.load(self.master, uow.keys, claim_ids),
        )
        published: list[Publication] = []
        for submission in submissions:
            published += self._apply_one(batch, submission)
        await uow.keys.put(batch.keys.made, _now())
        await uow.claims.register(batch.registrations)
        await uow.claims.record_refusals(batch.refusals)
        return published

    def _apply_one(self, batch: _Batch, submission: Submission) -> Sequence[Publication]:
        event, event_id = submission.event, submission.event_id
        if domain.source_mismatch(submission.payload.get("source"), submission.door, self.kafka_portals):
            return self._wrong_door(batch, submission)
        if event is None:
            return self._schema_invalid(batch, submission)
        claim = event.claim
        digest = content_digest(submission.payload["claim"])
        existing = batch.registered.get(claim.claim_id)
        if existing == digest:
            log.info("submission_same_claim_again", claim_id=claim.claim_id, event_id=str(event_id))
            return []
        found = addressee(
            claim.claim_id,
            claim.programme,
            claim.applicant.siren,
            claim.contact.email,
            claim.contact.full_name,
            source=event.source,
        )
        if existing is not None:
            return self._conflict_with_registered(batch, submission, found, [])
        codes = domain.identifier_refusals(
            domain.Identifiers(claim.applicant.siren, claim.applicant.siret, claim.bank_account.iban)
        )
        codes += domain.programme_refusals(claim.programme, self.programmes)
        verdict = edge.judge(edge_view(event, submission.payload))
        codes += verdict.codes
        if batch.taken_by_other_content(claim.claim_id, digest):
            return self._refuse(batch, event_id, found, [*codes, domain.CLAIM_ID_CONFLICT], verdict.details)
        if codes or verdict.bank is None:
            iban = claim.bank_account.iban
            return self._refuse(batch, event_id, found, codes, verdict.details, digest=digest, iban=iban)
        try:
            return self._register(batch, event_id, claim, digest, found, verdict.bank)
        except KeyErased:  # a claim_id whose data was erased (a refused one, long ago): nothing sealed under it again
            return [self._dead_letter(submission, "the claim_id's personal data was erased; not registered")]

    def _wrong_door(self, batch: _Batch, submission: Submission) -> Sequence[Publication]:
        """A claim whose `source` is not its door's portal: refused SOURCE_MISMATCH, its other checks not run (it is
        not the sender's to submit). Its status names the door's portal (None on the shared topic: the sender is
        not known by name, and the portal it names never sent it). It passes no contact on, and takes its claim_id
        like any first refusal, under a digest no genuine submission can match: the `refused` it leaves owed to
        the claim_id can then never be mailed, whoever submits that claim_id next (refused CLAIM_ID_CONFLICT, with
        no contact either). Under a claim_id already known it is recorded and dead-lettered, never announced."""
        found = salvage(submission.payload)
        if found is None:
            return [self._dead_letter(submission, "SOURCE_MISMATCH without a usable claim_id")]
        found = replace(found, source=submission.door, email=None)
        codes, event_id = [domain.SOURCE_MISMATCH], submission.event_id
        log.warning("submission_source_mismatch", claim_id=found.claim_id, event_id=str(event_id), door=submission.door)
        if found.claim_id in batch.registered or found.claim_id in batch.owners:
            batch.refusals.append(Refusal(event_id, found.claim_id, codes, []))
            return [self._dead_letter(submission, "SOURCE_MISMATCH under a claim_id already known; not announced")]
        details = ["source: not the portal of the topic the claim came on"]
        digest = content_digest({"source_mismatch_on": submission.door, "claim": submission.payload["claim"]})
        return self._refuse(batch, event_id, found, codes, details, digest=digest)

    def _register(
        self,
        batch: _Batch,
        event_id: uuid.UUID,
        claim: SubmittedClaim,
        digest: str,
        found: Salvaged,
        bank: edge.BankAccount,
    ) -> Sequence[Publication]:
        """Store and forward the claim with its bank account in canonical form (what the SEPA file will carry), its
        contact and bank account sealed under the claim's keys, announced first. Intake keeps them sealed too: a
        backup of its database holds nothing readable once the keys are destroyed."""
        canonical_bank = {"iban": bank.iban, "bic": bank.bic, "holder_name": bank.holder_name}
        claim = claim.model_copy(update={"bank_account": claim.bank_account.model_copy(update=canonical_bank)})
        sealed = sealed_claim(batch.keys, claim)
        announced = batch.keys.announcement(claim.claim_id, self.topic_prefix, _now())
        contact = self._contact(batch, found, event_id, iban=bank.iban)
        stored = sealed.model_dump(mode="json", exclude_none=True)
        batch.registered[claim.claim_id] = digest  # a later copy in this batch is judged against this one
        batch.registrations.append(
            Registration(
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
        registered = ClaimRegisteredV1(
            event_id=uuid.uuid4(),
            occurred_at=_now(),
            correlation_id=event_id,
            claim=sealed,
            iban_fingerprint=iban_fingerprint(self.master, bank.iban),
            source=found.source,
        )
        return [
            *announced,
            OutboxMessage.of_event(self._topic(CLAIMS_REGISTERED_TOPIC), claim.applicant.siren, registered),
            *contact,
            self._status(found, "received", []),
        ]

    def _schema_invalid(self, batch: _Batch, submission: Submission) -> Sequence[Publication]:
        # Field paths can hold the sender's own keys: escaped so that the details are safe in jsonb and on screen.
        # A message may quote a value (an e-mail's own reason): masked, since refusals are kept for audit.
        details = [printable(mask_text(line), 300) for line in submission.schema_errors]
        found = salvage(submission.payload)
        if found is None:
            return [self._dead_letter(submission, "SCHEMA_INVALID without a usable claim_id: " + "; ".join(details))]
        codes = [domain.SCHEMA_INVALID]
        digest = content_digest(submission.payload["claim"])
        if found.claim_id in batch.registered:
            return self._conflict_with_registered(batch, submission, found, codes)
        event_id = submission.event_id
        if batch.taken_by_other_content(found.claim_id, digest):
            return self._refuse(batch, event_id, found, [*codes, domain.CLAIM_ID_CONFLICT], details)
        return self._refuse(batch, event_id, found, codes, details, digest=digest)

    def _conflict_with_registered(
        self, batch: _Batch, submission: Submission, found: Salvaged, codes: list[str]
    ) -> Sequence[Publication]:
        """Other content under a registered claim_id: recorded, and handed to operators as a dead letter.

        Its `refused` cannot go on claims.status.v1: that topic is keyed by claim_id, so the portal would read the
        registered claim as refused, and notifications would mail the registered applicant (the first contact of
        the claim) that their claim was not registered.
        """
        event_id = submission.event_id
        codes = [*codes, domain.CLAIM_ID_CONFLICT]
        batch.refusals.append(Refusal(event_id, found.claim_id, codes, []))
        log.warning("submission_conflicts_with_registered_claim", claim_id=found.claim_id, event_id=str(event_id))
        reason = "CLAIM_ID_CONFLICT: the claim_id is registered with other content; not announced on its status"
        return [self._dead_letter(submission, reason)]

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
    ) -> Sequence[Publication]:
        """Refused with its codes. Only a refusal that takes its claim_id (`digest`) passes its contact on: the
        contact of a conflicting submission must never reach the claim_id's e-mails."""
        batch.refusals.append(Refusal(event_id, found.claim_id, codes, details, digest))
        log.info("submission_refused", claim_id=found.claim_id, event_id=str(event_id), codes=codes)
        messages: list[OutboxMessage] = []
        if digest is not None:
            batch.owners.setdefault(found.claim_id, digest)
            messages += self._contact(batch, found, event_id, iban=iban)
        return [*messages, self._status(found, "received", []), self._status(found, "refused", codes)]

    def _status(self, found: Salvaged, status: ClaimStatus, reasons: list[str]) -> OutboxMessage:
        event = ClaimStatusV1(
            event_id=uuid.uuid4(),
            occurred_at=_now(),
            claim_id=found.claim_id,
            programme=found.programme,
            siren=found.siren,
            status=status,
            reasons=reasons,
            source=found.source,
        )
        return OutboxMessage.of_event(self._topic(STATUS_TOPIC), found.claim_id, event)

    def _contact(self, batch: _Batch, found: Salvaged, event_id: uuid.UUID, *, iban: str | None) -> list[OutboxMessage]:
        """The applicant's contact, sealed (after its key's announcement for a refusal; a registration announces its
        keys before its registered claim). None without an e-mail, or once the claim's contact was erased."""
        if found.email is None:
            return []
        try:
            contact = contact_message(
                batch.keys,
                self.topic_prefix,
                claim_id=found.claim_id,
                programme=found.programme,
                email=found.email,
                full_name=found.full_name or "",
                correlation_id=event_id,
                iban=iban,
            )
        except KeyErased:
            log.info("contact_not_passed_on_erased", claim_id=found.claim_id, event_id=str(event_id))
            return []
        return [*batch.keys.announcement(found.claim_id, self.topic_prefix, _now()), contact]

    def _dead_letter(self, submission: Submission, reason: str) -> DeadLetter[Submission]:
        log.warning("submission_dead_lettered", coordinates=submission.coordinates, reason=reason)
        return DeadLetter(submission, reason)

    def _topic(self, name: str) -> str:
        return self.topic_prefix + name


def _now() -> datetime:
    return datetime.now(UTC)
