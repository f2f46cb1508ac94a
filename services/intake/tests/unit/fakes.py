"""Intake's unit of work in memory: the same repository surface as `PostgresClaims` (the use case's Protocol), so
that the use case is unit-tested without a database."""

from __future__ import annotations

from collections.abc import Sequence

from guichet_common.unit_of_work import FakeUnitOfWork
from guichet_intake.domain import Refusal, Registration


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


class FakeIntakeUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.claims = InMemoryClaims()
