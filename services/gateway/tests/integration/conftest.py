"""The gateway's own throwaway database on the real PostgreSQL the root conftest starts, migrated and emptied before
each test (the root conftest provisions the pipeline services' databases only)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from guichet_common.db import create_pool, run_migrations
from guichet_common.runtime import COMMON_MIGRATIONS
from guichet_gateway.app import MIGRATIONS


@pytest.fixture(scope="session")
async def gateway_database_url(infra, run_id: str) -> AsyncIterator[str]:
    from guichet_deploy.postgres import drop_databases, provision_databases

    if infra.pg_admin_dsn is None:
        url = infra.database_urls.get("gateway")
        if url is None:
            pytest.skip("no gateway database in this environment, and no admin DSN to make one")
        yield url
        return
    # A suffix of its own: once `gateway` is in the root conftest's SERVICES, `database_urls` provisions
    # guichet_gateway_it<run>, and provisioning a database again resets its role's password under that pool.
    suffix = f"_gw{run_id}"
    yield (await provision_databases(infra.pg_admin_dsn, ["gateway"], suffix=suffix))["gateway"]
    await drop_databases(infra.pg_admin_dsn, ["gateway"], suffix=suffix)


@pytest.fixture
async def gateway_pool(gateway_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """The gateway's migrated database, every table emptied: each test starts with no portal, claim or delivery."""
    pool = await create_pool(gateway_database_url, size=6)
    await run_migrations(pool, COMMON_MIGRATIONS)
    await run_migrations(pool, MIGRATIONS)
    tables = await pool.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'"
    )
    await pool.execute("TRUNCATE " + ", ".join(f'"{t["tablename"]}"' for t in tables) + " RESTART IDENTITY CASCADE")
    yield pool
    await pool.close()
