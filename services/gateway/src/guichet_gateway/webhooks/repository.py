"""Placeholder: the webhooks part writes the deliveries' and the journal's SQL here."""

from __future__ import annotations

import asyncpg


class PostgresWebhooks:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._conn = connection
