"""What the tools (the `guichet` console, the demo, the bench) may use of the back-office, as for every service:
its accounts, its audit trail, its schema and the read model's seeding. Nothing here opens a connection itself."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import asyncpg

from guichet_backoffice import accounts, audit
from guichet_backoffice.accounts import FIRST_ADMIN, AccountError, ensure_first_admin
from guichet_backoffice.auth.passwords import WeakPassword
from guichet_backoffice.auth.roles import ROLES
from guichet_backoffice.seed import seed_claims
from guichet_common.db import create_pool, run_migrations
from guichet_common.runtime import COMMON_MIGRATIONS

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

__all__ = [
    "FIRST_ADMIN",
    "MIGRATIONS",
    "ROLES",
    "AccountError",
    "WeakPassword",
    "accounts",
    "audit",
    "connected",
    "ensure_first_admin",
    "seed_claims",
]


@contextlib.asynccontextmanager
async def connected(url: str) -> AsyncIterator[asyncpg.Connection]:
    """One connection to the back-office's database, its schema brought up to date first (so that the first admin
    can be made before the back-office ever started), in one transaction."""
    pool = await create_pool(url, size=1, connect_timeout_s=10)
    try:
        await run_migrations(pool, COMMON_MIGRATIONS)
        await run_migrations(pool, MIGRATIONS)
        async with pool.acquire() as conn, conn.transaction():
            yield cast(asyncpg.Connection, conn)  # the pool's proxy behaves as the connection
    finally:
        await pool.close()
