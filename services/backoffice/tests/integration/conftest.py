"""The back-office's own throwaway database, migrated and emptied before each test (the root conftest provisions
the four pipeline services' only)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from guichet_backoffice.app import MIGRATIONS
from guichet_common.db import create_pool, run_migrations
from guichet_common.runtime import COMMON_MIGRATIONS


@pytest.fixture(scope="session")
async def backoffice_database_url(infra, run_id: str) -> AsyncIterator[str]:
    from guichet_deploy.postgres import drop_databases, provision_databases

    if infra.pg_admin_dsn is None:
        url = infra.database_urls.get("backoffice")
        if url is None:
            pytest.skip("no back-office database in this environment, and no admin DSN to make one")
        yield url
        return
    suffix = f"_it{run_id}"
    yield (await provision_databases(infra.pg_admin_dsn, ["backoffice"], suffix=suffix))["backoffice"]
    await drop_databases(infra.pg_admin_dsn, ["backoffice"], suffix=suffix)


@pytest.fixture
async def backoffice_pool(backoffice_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(backoffice_database_url, size=4)
    await run_migrations(pool, COMMON_MIGRATIONS)
    await run_migrations(pool, MIGRATIONS)
    tables = await pool.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        " AND tablename NOT IN ('schema_migrations', 'audit_trail')"  # append-only: its trigger refuses TRUNCATE
    )
    await pool.execute("TRUNCATE " + ", ".join(f'"{t["tablename"]}"' for t in tables) + " CASCADE")
    yield pool
    await pool.close()
