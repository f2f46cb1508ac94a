"""The back-office's unit of work on PostgreSQL: one connection in one transaction, with the read model's
repositories."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from guichet_backoffice.controls_repository import ControlsRepository
from guichet_backoffice.operations_repository import OperationsRepository
from guichet_backoffice.privacy_repository import PrivacyRepository
from guichet_backoffice.projection import AbstractBackofficeUnitOfWork
from guichet_backoffice.repository import ClaimsRepository, PaymentsRepository
from guichet_common.privacy.keyring import Opener
from guichet_common.unit_of_work import PostgresUnitOfWork


class BackofficeUnitOfWork(PostgresUnitOfWork, AbstractBackofficeUnitOfWork):
    def __init__(self, connection: asyncpg.Connection) -> None:
        super().__init__(connection)
        self.claims = ClaimsRepository(connection)
        self.payments = PaymentsRepository(connection)
        self.operations = OperationsRepository(connection)
        self.privacy = PrivacyRepository(connection)
        self.controls = ControlsRepository(connection)


def opening(opener: Opener) -> Callable[[asyncpg.Connection], BackofficeUnitOfWork]:
    """The units of work of a process, sharing its Opener (one cache of data keys, forgotten as keys are
    destroyed)."""

    def make(connection: asyncpg.Connection) -> BackofficeUnitOfWork:
        uow = BackofficeUnitOfWork(connection)
        uow.opener = opener
        return uow

    return make
