"""What eligibility's use cases work on: the registry copy and the claims, in one transaction with the inbox and
the outbox. `EligibilityUnitOfWork` is the PostgreSQL one; tests/unit/fakes.py holds the in-memory one."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

import asyncpg

from guichet_common.unit_of_work import PostgresUnitOfWork, UnitOfWork
from guichet_eligibility.domain import ClaimFacts, Decision, PriorClaim, RegistryFacts
from guichet_eligibility.privacy_repository import ClearClaim, HeldRow, PostgresPersonalData
from guichet_eligibility.repository import (
    AwaitingClaim,
    ClaimWithDecision,
    DecidedClaim,
    PostgresClaims,
    PostgresCompanies,
    WaitingClaim,
)


class Companies(Protocol):
    async def upsert(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Store registry records (contract JSON), one per SIREN at most, replacing what was there."""
        ...

    async def delete(self, sirens: Sequence[str]) -> None: ...

    async def registry_facts_for(self, sirens: Sequence[str]) -> dict[str, RegistryFacts]: ...


class Claims(Protocol):
    async def known_claim_ids(self, claim_ids: Sequence[str]) -> set[str]: ...

    async def insert_awaiting(self, claims: Sequence[AwaitingClaim]) -> None:
        """Store newly registered claims as awaiting their registry record (status `awaiting_registry`)."""
        ...

    async def related_claims(self, claims: Sequence[ClaimFacts]) -> list[tuple[str, PriorClaim]]:
        """(programme, claim) for every stored claim sharing a SIREN, an IBAN or an invoice with one of `claims`
        (themselves included), each holding aid or not by its status (`domain.holds_aid`)."""
        ...

    async def take_awaiting_for_companies(self, sirens: Sequence[str]) -> list[WaitingClaim]:
        """Claims waiting for one of these companies (not set aside), oldest first, locked."""
        ...

    async def take_awaiting_past_deadline(self, limit: int) -> list[WaitingClaim]:
        """Claims still waiting (not set aside) whose registry deadline has passed, earliest deadline first."""
        ...

    async def mark_set_aside(self, claim_id: str) -> None: ...

    async def record_decisions(self, decisions: Sequence[tuple[str, Decision]]) -> None:
        """Store each decision and make its outcome the claim's status."""
        ...

    async def with_decision(self, claim_id: str, *, lock: bool = False) -> ClaimWithDecision | None: ...

    async def record_review(
        self, claim_id: str, decision: str, operator: str, reason: str, *, seconded_by: str | None = None
    ) -> None:
        """Store an operator's decision (and who seconded it, under four eyes) and make it the claim's status."""
        ...

    async def decided_claims(self, programme: str) -> list[DecidedClaim]: ...


class PersonalData(Protocol):
    async def programmes_of(self, claim_ids: Sequence[str]) -> dict[str, str]:
        """claim_id -> programme, for the claims held among `claim_ids`."""
        ...

    async def erase(self, kind: str, claim_ids: Sequence[str]) -> None:
        """Null the values of `kind` (contact, bank) in these claims' stored payloads."""
        ...

    async def held(self, claim_ids: Sequence[str]) -> list[HeldRow]:
        """Every row held about these claims, for a subject-access export."""
        ...

    async def stored_in_clear(self, limit: int) -> list[ClearClaim]:
        """Claims stored before sealing without a fingerprint, or decided and still holding clear values."""
        ...

    async def set_fingerprints(self, fingerprints: Mapping[str, str]) -> None: ...


class EligibilityWork(UnitOfWork):
    """The unit of work as eligibility's use cases see it, whether on PostgreSQL or in memory."""

    companies: Companies
    claims: Claims
    personal: PersonalData


class EligibilityUnitOfWork(PostgresUnitOfWork, EligibilityWork):
    def __init__(self, connection: asyncpg.Connection) -> None:
        super().__init__(connection)
        self.companies = PostgresCompanies(connection)
        self.claims = PostgresClaims(connection)
        self.personal = PostgresPersonalData(connection)


@contextlib.asynccontextmanager
async def on_connection(conn: asyncpg.Connection) -> AsyncIterator[EligibilityUnitOfWork]:
    """A unit of work on a connection the caller holds (the console's commands): inside the caller's transaction it
    is a savepoint, which the caller's own commit makes final. Rolled back on leaving unless committed."""
    uow = EligibilityUnitOfWork(conn)
    await uow.begin()
    try:
        yield uow
    finally:
        await uow.rollback()
