"""Eligibility's unit of work in memory: the registry copy and the claims as PostgreSQL keeps them, for use cases'
unit tests (no database). Each method does what its SQL twin in guichet_eligibility.repository does."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from guichet_common.contracts import EXAMPLES, ClaimRegisteredV1, ClaimSubmittedV1, SubmittedClaim
from guichet_common.contracts.internal import RegisteredClaim
from guichet_common.pipeline import Subscription, contract
from guichet_common.privacy.sealing import MasterKey, seal
from guichet_common.records import InboundRecord
from guichet_common.settings import project_root
from guichet_common.unit_of_work import FakeUnitOfWork
from guichet_eligibility.domain import AWAITING_REGISTRY, ClaimFacts, Decision, PriorClaim, RegistryFacts, holds_aid
from guichet_eligibility.handlers import EligibilityHandlers, registry_record
from guichet_eligibility.privacy_repository import DECIDED, ClearClaim, HeldRow
from guichet_eligibility.repository import AwaitingClaim, ClaimWithDecision, DecidedClaim, WaitingClaim
from guichet_eligibility.service import EligibilityService
from guichet_eligibility.translate import ERASABLE
from guichet_eligibility.unit_of_work import EligibilityWork
from guichet_programme import load_programmes

PROGRAMMES = load_programmes(project_root() / "programmes")
COMPANY = json.loads((EXAMPLES / "registry.companies.v1.json").read_text())
CLAIM = ClaimSubmittedV1.model_validate_json((EXAMPLES / "claims.submitted.v1.json").read_bytes()).claim
# What intake holds and eligibility does not: the master key (fingerprints) and the claims' data keys (sealing).
MASTER = MasterKey(bytes(range(32)))
DATA_KEY = bytes(range(32, 64))


class InMemoryCompanies:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}

    async def upsert(self, records: Sequence[Mapping[str, Any]]) -> None:
        self.records |= {record["siren"]: dict(record) for record in records}

    async def delete(self, sirens: Sequence[str]) -> None:
        for siren in sirens:
            self.records.pop(siren, None)

    async def registry_facts_for(self, sirens: Sequence[str]) -> dict[str, RegistryFacts]:
        return {siren: _registry_facts(self.records[siren]) for siren in sirens if siren in self.records}


def _registry_facts(record: Mapping[str, Any]) -> RegistryFacts:
    created = record.get("dateCreationUniteLegale")
    return RegistryFacts(
        record["etatAdministratifUniteLegale"],
        dt.date.fromisoformat(created) if created else None,
        record.get("trancheEffectifsUniteLegale"),
    )


@dataclass
class StoredClaim:
    facts: ClaimFacts
    correlation_id: UUID
    payload: dict[str, Any]
    received: int
    registry_deadline: dt.datetime | None
    status: str = AWAITING_REGISTRY
    set_aside: bool = False
    decision: Decision | None = None
    review: tuple[str, str, str] | None = None  # decision, operator, reason
    seconded_by: str | None = None  # under four eyes, the review's second person
    source: str | None = None


class InMemoryClaims:
    def __init__(self) -> None:
        self.rows: dict[str, StoredClaim] = {}
        self._arrivals = itertools.count()

    async def known_claim_ids(self, claim_ids: Sequence[str]) -> set[str]:
        return {claim_id for claim_id in claim_ids if claim_id in self.rows}

    async def insert_awaiting(self, claims: Sequence[AwaitingClaim]) -> None:
        for claim in claims:
            assert claim.facts.claim_id not in self.rows, "claim_id is the primary key"
            self.rows[claim.facts.claim_id] = StoredClaim(
                claim.facts,
                claim.correlation_id,
                claim.payload,
                next(self._arrivals),
                claim.registry_deadline,
                source=claim.source,
            )

    async def related_claims(self, claims: Sequence[ClaimFacts]) -> list[tuple[str, PriorClaim]]:
        programmes = {facts.programme for facts in claims}
        sirens = {facts.siren for facts in claims}
        ibans = {facts.iban_fingerprint for facts in claims} - {None}
        keys = {key for facts in claims for key in facts.invoice_keys()}
        return [
            (
                row.facts.programme,
                PriorClaim(
                    row.facts.claim_id,
                    row.facts.siren,
                    holds_aid(row.status),
                    row.facts.iban_fingerprint,
                    row.facts.invoice_keys(),
                ),
            )
            for row in self.rows.values()
            if (
                row.facts.programme in programmes and (row.facts.siren in sirens or row.facts.iban_fingerprint in ibans)
            )
            or row.facts.invoice_keys() & keys  # as in SQL: invoices relate claims whatever their programme
        ]

    async def take_awaiting_for_companies(self, sirens: Sequence[str]) -> list[WaitingClaim]:
        return [self._waiting(row) for row in self._awaiting() if row.facts.siren in sirens]

    async def take_awaiting_past_deadline(self, limit: int) -> list[WaitingClaim]:
        now = dt.datetime.now(dt.UTC)
        due = [row for row in self._awaiting() if row.registry_deadline is not None and row.registry_deadline <= now]
        return [self._waiting(row) for row in sorted(due, key=lambda row: row.registry_deadline or now)[:limit]]

    async def mark_set_aside(self, claim_id: str) -> None:
        self.rows[claim_id].set_aside = True

    async def record_decisions(self, decisions: Sequence[tuple[str, Decision]]) -> None:
        for claim_id, decision in decisions:
            row = self.rows[claim_id]
            row.status, row.registry_deadline, row.decision = decision.outcome, None, decision

    async def with_decision(self, claim_id: str, *, lock: bool = False) -> ClaimWithDecision | None:
        row = self.rows.get(claim_id)
        if row is None:
            return None
        version = row.decision.rule_version if row.decision else None
        results = [result.as_record() for result in row.decision.results] if row.decision else []
        return ClaimWithDecision(
            claim_id,
            row.status,
            row.correlation_id,
            row.payload,
            version,
            row.review is not None,
            results,
            row.source,
            row.facts.iban_fingerprint,
            list(row.decision.reasons) if row.decision else [],
        )

    async def record_review(
        self, claim_id: str, decision: str, operator: str, reason: str, *, seconded_by: str | None = None
    ) -> None:
        row = self.rows[claim_id]
        row.review, row.status, row.seconded_by = (decision, operator, reason), decision, seconded_by

    async def decided_claims(self, programme: str) -> list[DecidedClaim]:
        return [
            DecidedClaim(
                row.facts.claim_id,
                row.facts.siren,
                row.payload,
                row.decision.outcome,
                row.decision.reasons,
                [result.as_record() for result in row.decision.results],
                row.decision.grant_cents,
                row.facts.iban_fingerprint,
            )
            for row in sorted(self.rows.values(), key=lambda row: row.received)
            if row.decision is not None and row.facts.programme == programme
        ]

    def _awaiting(self) -> list[StoredClaim]:
        rows = [row for row in self.rows.values() if row.status == AWAITING_REGISTRY and not row.set_aside]
        return sorted(rows, key=lambda row: row.received)

    @staticmethod
    def _waiting(row: StoredClaim) -> WaitingClaim:
        return WaitingClaim(row.facts.claim_id, row.correlation_id, row.payload, row.source, row.facts.iban_fingerprint)


class InMemoryPersonalData:
    """What eligibility holds about a person, on the in-memory claims and companies."""

    def __init__(self, claims: InMemoryClaims, companies: InMemoryCompanies) -> None:
        self._claims, self._companies = claims, companies

    async def programmes_of(self, claim_ids: Sequence[str]) -> dict[str, str]:
        return {c: self._claims.rows[c].facts.programme for c in claim_ids if c in self._claims.rows}

    async def erase(self, kind: str, claim_ids: Sequence[str]) -> None:
        for claim_id in claim_ids:
            row = self._claims.rows[claim_id]
            row.payload = json.loads(json.dumps(row.payload))
            for path, fields in ERASABLE[kind]:
                section = row.payload
                for step in path:
                    if not isinstance(section.get(step), dict):
                        section[step] = {}
                    section = section[step]
                section.update(dict.fromkeys(fields))

    async def stored_in_clear(self, limit: int) -> list[ClearClaim]:
        found = []
        for claim_id, row in sorted(self._claims.rows.items()):
            bank, contact = row.payload.get("bank_account") or {}, row.payload.get("contact") or {}
            clear = [
                v for v in (bank.get("iban"), bank.get("holder_name"), contact.get("email"), contact.get("full_name"))
            ]
            in_clear = any(isinstance(v, str) and not v.startswith("sealed:") for v in clear)
            iban, decided = bank.get("iban"), row.status in DECIDED
            unprinted = row.facts.iban_fingerprint is None and isinstance(iban, str) and not iban.startswith("sealed:")
            if unprinted or (decided and in_clear):
                found.append(ClearClaim(claim_id, iban, row.facts.iban_fingerprint is None, decided))
        return found[:limit]

    async def set_fingerprints(self, fingerprints: Mapping[str, str]) -> None:
        for claim_id, fingerprint in fingerprints.items():
            row = self._claims.rows[claim_id]
            row.facts = dataclasses.replace(row.facts, iban_fingerprint=fingerprint)

    async def held(self, claim_ids: Sequence[str]) -> list[HeldRow]:
        held = []
        for claim_id in sorted(set(claim_ids) & set(self._claims.rows)):
            row = self._claims.rows[claim_id]
            fields = {"programme": row.facts.programme, "siren": row.facts.siren, "status": row.status}
            held.append(HeldRow("claims", claim_id, {**fields, "payload": json.loads(json.dumps(row.payload))}))
            if row.decision is not None:
                decision = {"outcome": row.decision.outcome, "reasons": list(row.decision.reasons)}
                held.append(HeldRow("decisions", claim_id, decision))
            if row.facts.siren in self._companies.records:
                held.append(HeldRow("companies", claim_id, dict(self._companies.records[row.facts.siren])))
        return held


class FakeEligibilityUnitOfWork(FakeUnitOfWork, EligibilityWork):
    companies: InMemoryCompanies
    claims: InMemoryClaims
    personal: InMemoryPersonalData

    def __init__(self) -> None:
        super().__init__()
        self.companies = InMemoryCompanies()
        self.claims = InMemoryClaims()
        self.personal = InMemoryPersonalData(self.claims, self.companies)


def subscriptions(service: EligibilityService) -> tuple[Subscription[Any, Any], Subscription[Any, Any]]:
    """(registry feed, registered claims) as `register_handlers` subscribes them."""
    handlers = EligibilityHandlers(service)
    return (
        Subscription(handlers.registry_companies, registry_record, event_id=None),
        Subscription(handlers.claims_registered, contract(ClaimRegisteredV1)),
    )


def company(siren: str = COMPANY["siren"], key: bytes | None = None, **changes: Any) -> InboundRecord:
    value = json.dumps({**COMPANY, "siren": siren, **changes}).encode()
    return InboundRecord("registry.companies.v1", 0, 0, key if key is not None else siren.encode(), value)


def tombstone(key: bytes) -> InboundRecord:
    return InboundRecord("registry.companies.v1", 0, 0, key, None)


def claim(claim_id: str, siren: str = CLAIM.applicant.siren, **changes: Any) -> SubmittedClaim:
    """The contract's example claim under another id (and company, IBAN, invoice numbers... when given)."""
    applicant = CLAIM.applicant.model_copy(update={"siren": siren, "siret": siren + "00000"})
    return CLAIM.model_copy(update={"claim_id": claim_id, "applicant": applicant, **changes})


def sealed(submitted: SubmittedClaim) -> RegisteredClaim:
    """The claim as intake registers it: contact and bank account sealed under the claim's keys."""
    data = submitted.model_dump(mode="json")
    for section, kind in (("contact", "contact"), ("bank_account", "bank")):
        data[section] = {
            name: seal(DATA_KEY, kind, submitted.claim_id, value) if value is not None else None
            for name, value in data[section].items()
        }
    return RegisteredClaim.model_validate(data, strict=False)


def fingerprint(iban: str) -> str:
    return MASTER.fingerprint("".join(iban.split()).upper())


def registered(submitted: SubmittedClaim, event_id: UUID | None = None, source: str | None = None) -> InboundRecord:
    """ClaimRegisteredV1 as intake publishes it: the claim sealed, its IBAN's fingerprint beside it."""
    event = ClaimRegisteredV1(
        event_id=event_id or uuid.uuid4(),
        occurred_at=CLAIM.submitted_at,
        correlation_id=uuid.uuid4(),
        claim=sealed(submitted),
        iban_fingerprint=fingerprint(submitted.bank_account.iban),
        source=source,
    )
    key = submitted.applicant.siren.encode()
    return InboundRecord("intake.claims-registered.v1", 0, 0, key, event.model_dump_json().encode())


def statuses(uow: FakeUnitOfWork) -> list[tuple[str, str, list[str]]]:
    """(claim, status, reasons) of every claims.status.v1 event committed, in order."""
    values = [json.loads(m.value or b"") for m in uow.committed if m.topic == "claims.status.v1"]
    return [(v["claim_id"], v["status"], v["reasons"]) for v in values]


def dead_letter_reasons(uow: FakeUnitOfWork) -> list[str]:
    return [dict(m.headers)["dlq.reason"].decode() for m in uow.committed if m.topic.endswith(".dlq")]
