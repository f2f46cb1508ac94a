"""Intake's unit of work in memory: the same repository surface as `PostgresClaims` (the use case's Protocol), so
that the use case is unit-tested without a database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from guichet_common.privacy.keyring import Erased, Opener
from guichet_common.unit_of_work import FakeUnitOfWork
from guichet_intake.domain import PERSONAL_PARTS, Refusal, Registration
from guichet_intake.privacy_model import KeptClaim, KeptRefusal
from guichet_intake.service import DEVELOPMENT_MASTER


class InMemoryClaims:
    """Registered claims by claim_id and refusals in the order they were recorded, like the two tables."""

    def __init__(self) -> None:
        self.registered: dict[str, Registration] = {}
        self.refusals: list[Refusal] = []
        self.lookups = 0  # batches that looked claims up: the use case must do it once per batch, never per record

    async def registered_digests(self, claim_ids: Sequence[str]) -> dict[str, str]:
        self.lookups += 1
        return {claim_id: self.registered[claim_id].digest for claim_id in claim_ids if claim_id in self.registered}

    async def refused_owner_digests(self, claim_ids: Sequence[str]) -> dict[str, str]:
        owners: dict[str, str] = {}
        for refusal in self.refusals:
            if refusal.claim_id in claim_ids and refusal.digest is not None:
                owners.setdefault(refusal.claim_id, refusal.digest)
        return owners

    async def register(self, registrations: Sequence[Registration]) -> None:
        for registration in registrations:
            if registration.claim_id in self.registered:  # the claims table's primary key
                raise ValueError(f"claim {registration.claim_id} is already registered")
            self.registered[registration.claim_id] = registration

    async def record_refusals(self, refusals: Sequence[Refusal]) -> None:
        known = {refusal.event_id for refusal in self.refusals}
        for refusal in refusals:
            if refusal.event_id not in known:  # ON CONFLICT (event_id) DO NOTHING
                known.add(refusal.event_id)
                self.refusals.append(refusal)


class InMemoryClaimCopies:
    """`PostgresClaimCopies` on the in-memory claims: the same stored payloads, changed in place."""

    REGISTERED_AT = dt.datetime(2021, 6, 1, tzinfo=dt.UTC)

    def __init__(self, claims: InMemoryClaims) -> None:
        self._claims = claims

    async def claims(self, claim_ids: Sequence[str]) -> dict[str, KeptClaim]:
        found = [self._claims.registered[c] for c in claim_ids if c in self._claims.registered]
        return {
            r.claim_id: KeptClaim(r.claim_id, r.programme, r.siren, r.payload, r.submitted_at, self.REGISTERED_AT)
            for r in found
        }

    async def refusals(self, claim_ids: Sequence[str]) -> list[KeptRefusal]:
        return [
            KeptRefusal(r.claim_id, r.codes, r.details, self.REGISTERED_AT)
            for r in self._claims.refusals
            if r.claim_id is not None and r.claim_id in claim_ids
        ]

    async def set_contact(self, claim_id: str, contact: Mapping[str, Any]) -> None:
        self._claims.registered[claim_id].payload["contact"] = dict(contact)

    async def erase(self, kind: str, claim_ids: Sequence[str]) -> None:
        part, fields = PERSONAL_PARTS[kind]
        for claim_id in claim_ids:
            if claim_id in self._claims.registered:
                self._claims.registered[claim_id].payload[part] = dict.fromkeys(fields)


class FakeIntakeUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.claims = InMemoryClaims()
        self.copies = InMemoryClaimCopies(self.claims)


async def opened(uow: FakeUnitOfWork, value: str) -> str | Erased:
    """A sealed value as a service holding the claim's keys (here, intake's own) reads it."""
    return (await Opener(DEVELOPMENT_MASTER).open_many(uow.keys, [value]))[value]
