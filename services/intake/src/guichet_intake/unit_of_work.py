"""Intake's unit of work: its claims and refusals, the inbox and the outbox, in one transaction per batch."""

from __future__ import annotations

import asyncpg

from guichet_common.unit_of_work import PostgresUnitOfWork
from guichet_intake.copies_repository import PostgresClaimCopies
from guichet_intake.privacy_model import ClaimCopies
from guichet_intake.repository import PostgresClaims
from guichet_intake.submission_model import ClaimsRepository


class IntakeUnitOfWork(PostgresUnitOfWork):
    def __init__(self, connection: asyncpg.Connection) -> None:
        super().__init__(connection)
        # Typed as the use case's Protocol, so that mypy checks the Postgres repository against it.
        self.claims: ClaimsRepository = PostgresClaims(connection)
        self.copies: ClaimCopies = PostgresClaimCopies(connection)  # a person's data in them (privacy requests)
