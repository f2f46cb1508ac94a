"""The gateway's unit of work: its portals, claims, statuses and webhook deliveries, the inbox and the outbox, in
one transaction per request, batch or sender turn."""

from __future__ import annotations

import asyncpg

from guichet_common.unit_of_work import PostgresUnitOfWork
from guichet_gateway.privacy.repository import PostgresHeldRecords
from guichet_gateway.repository import PostgresGateway
from guichet_gateway.webhooks.repository import PostgresWebhooks


class GatewayUnitOfWork(PostgresUnitOfWork):
    def __init__(self, connection: asyncpg.Connection) -> None:
        super().__init__(connection)
        self.gateway = PostgresGateway(connection)  # portals, claims, bank-details posts, status history
        self.webhooks = PostgresWebhooks(connection)  # deliveries and their journal
        self.privacy = PostgresHeldRecords(connection)  # what a subject-access export shows
