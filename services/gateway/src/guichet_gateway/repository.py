"""Placeholder: the API part writes the portals', claims' and statuses' SQL here."""

from __future__ import annotations

import asyncpg


class PostgresGateway:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._conn = connection
