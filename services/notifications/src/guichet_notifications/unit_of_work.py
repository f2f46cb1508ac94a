"""Notifications' unit of work on PostgreSQL: one connection in one transaction, with the service's repositories."""

from __future__ import annotations

import asyncpg

from guichet_common.unit_of_work import PostgresUnitOfWork
from guichet_notifications.repository import ContactsRepository, EmailsRepository
from guichet_notifications.retention_repository import ClaimStatusesRepository, PrivacyRequestsRepository
from guichet_notifications.service import AbstractNotificationsUnitOfWork


class NotificationsUnitOfWork(PostgresUnitOfWork, AbstractNotificationsUnitOfWork):
    def __init__(self, connection: asyncpg.Connection) -> None:
        super().__init__(connection)
        self.contacts = ContactsRepository(connection)
        self.emails = EmailsRepository(connection)
        self.statuses = ClaimStatusesRepository(connection)
        self.privacy_requests = PrivacyRequestsRepository(connection)
