"""The read model's use cases: each batch of events is recorded in one unit of work.

Events of one claim come from several services and topics, in no guaranteed order: every write is an upsert, and a
"current" value (a claim's status, a payment's state, a budget, a set-aside item's state) only moves to a newer
event's. A redelivered event changes nothing (the inbox, and keys on the event or the thing it describes).
They work on an `AbstractBackofficeUnitOfWork` (PostgreSQL in `unit_of_work.py`, in memory in the unit tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from guichet_backoffice.controls_model import Controls
from guichet_backoffice.domain import (
    Budget,
    CommandOutcome,
    DeadLetter,
    Email,
    IssuedAttempt,
    Judgement,
    PaymentMove,
    Registration,
    SepaFile,
    SetAsideChange,
    StatusChange,
    payment_move,
)
from guichet_backoffice.privacy_follower import PrivacyUnitOfWork


class Claims(Protocol):
    async def record_registrations(self, registrations: Sequence[Registration]) -> None: ...

    async def record_statuses(self, changes: Sequence[StatusChange]) -> None: ...

    async def record_judgements(self, judgements: Sequence[Judgement]) -> None: ...

    async def record_emails(self, emails: Sequence[Email]) -> None: ...


class Payments(Protocol):
    async def record_moves(self, moves: Sequence[PaymentMove]) -> None: ...

    async def record_attempts(self, attempts: Sequence[IssuedAttempt]) -> None: ...

    async def record_files(self, files: Sequence[SepaFile]) -> None: ...

    async def record_budgets(self, budgets: Sequence[Budget]) -> None: ...


class Operations(Protocol):
    async def record_dead_letters(self, letters: Sequence[DeadLetter]) -> None: ...

    async def record_set_aside(self, changes: Sequence[SetAsideChange]) -> None: ...

    async def record_outcomes(self, outcomes: Sequence[CommandOutcome]) -> None: ...


class AbstractBackofficeUnitOfWork(PrivacyUnitOfWork):
    """What the projection works on: one transaction, with the read model's repositories, its personal data's
    (`privacy`), and the process's Opener for the sealed fields it reads."""

    claims: Claims
    payments: Payments
    operations: Operations
    controls: Controls


async def project_registrations(uow: AbstractBackofficeUnitOfWork, registrations: Sequence[Registration]) -> None:
    """A registered claim's company, submission time and invoices; its status may be known already."""
    await uow.claims.record_registrations(registrations)


async def project_statuses(uow: AbstractBackofficeUnitOfWork, changes: Sequence[StatusChange]) -> None:
    """Each status joins its claim's timeline; the latest becomes the claim's (and its payment's) current one."""
    await uow.claims.record_statuses(changes)
    await uow.payments.record_moves([move for change in changes if (move := payment_move(change)) is not None])


async def project_judgements(uow: AbstractBackofficeUnitOfWork, judgements: Sequence[Judgement]) -> None:
    """Every eligibility decision, rule by rule; the latest is the claim's eligibility status."""
    await uow.claims.record_judgements(judgements)


async def project_issued_payments(uow: AbstractBackofficeUnitOfWork, attempts: Sequence[IssuedAttempt]) -> None:
    """Each attempt finance was sent; its payment is sent, unless a later status says more."""
    await uow.payments.record_attempts(attempts)
    await uow.payments.record_moves([attempt.payment_move() for attempt in attempts])


async def project_sepa_files(uow: AbstractBackofficeUnitOfWork, files: Sequence[SepaFile]) -> None:
    """Keep each pain.001 file whole, for finance to download."""
    await uow.payments.record_files(files)


async def project_budgets(uow: AbstractBackofficeUnitOfWork, budgets: Sequence[Budget]) -> None:
    """The latest envelope of each programme."""
    await uow.payments.record_budgets(budgets)


async def project_emails(uow: AbstractBackofficeUnitOfWork, emails: Sequence[Email]) -> None:
    """E-mails sent or given up on, for the claim's page."""
    await uow.claims.record_emails(emails)


async def project_dead_letters(uow: AbstractBackofficeUnitOfWork, letters: Sequence[DeadLetter]) -> None:
    """Every dead letter of the system, once each, by its coordinates."""
    await uow.operations.record_dead_letters(letters)


async def project_set_aside(uow: AbstractBackofficeUnitOfWork, changes: Sequence[SetAsideChange]) -> None:
    """The latest state of each item the services set aside."""
    await uow.operations.record_set_aside(changes)


async def project_outcomes(uow: AbstractBackofficeUnitOfWork, outcomes: Sequence[CommandOutcome]) -> None:
    """What the owning services did with the back-office's commands."""
    await uow.operations.record_outcomes(outcomes)
