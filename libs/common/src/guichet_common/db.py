"""asyncpg pool, one-transaction helper and a small forward-only migration runner."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import cast

import asyncpg
import orjson
import structlog
from asyncpg.pool import PoolConnectionProxy

log = structlog.get_logger()

# Errors after which the same work may succeed if simply tried again later.
TRANSIENT_DB_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.AdminShutdownError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)

_MIGRATIONS_LOCK_ID = 4_271_960_118  # any constant: serialises migrations of concurrent instances


def _to_json(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


async def _init_connection(conn: asyncpg.Connection) -> None:
    # orjson: claims are stored as JSON at every stage; the stdlib encoder was 7-10 % of intake's and
    # eligibility's CPU under `make bench`.
    await conn.set_type_codec("jsonb", encoder=_to_json, decoder=orjson.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=_to_json, decoder=orjson.loads, schema="pg_catalog")


async def create_pool(dsn: str, *, size: int = 4, connect_timeout_s: float = 60.0) -> asyncpg.Pool:
    """A pool whose connections decode json/jsonb; waits for the server to accept connections."""
    deadline = asyncio.get_running_loop().time() + connect_timeout_s
    while True:
        try:
            return await asyncpg.create_pool(dsn, min_size=1, max_size=size, init=_init_connection)
        except TRANSIENT_DB_ERRORS:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """One connection in one transaction: committed when the block ends normally, rolled back otherwise."""
    async with pool.acquire() as proxy, proxy.transaction():
        yield cast(asyncpg.Connection, proxy)  # the pool's proxy behaves as the connection


async def run_migrations(pool: asyncpg.Pool, folder: Path) -> list[str]:
    """Apply, in name order, every `*.sql` file of `folder` not applied yet; each in its own transaction."""
    applied_now: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATIONS_LOCK_ID)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row["version"] for row in await conn.fetch("SELECT version FROM schema_migrations")}
            for path in sorted(folder.glob("*.sql")):
                if path.name in done:
                    continue
                async with conn.transaction():
                    await conn.execute(path.read_text(encoding="utf-8"))
                    await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", path.name)
                applied_now.append(path.name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATIONS_LOCK_ID)
    if applied_now:
        log.info("migrations_applied", versions=applied_now)
    return applied_now


class PoolSlot:
    """The process's pool, created at start-up, for code wired before it.

    Subscribers and jobs are declared when the app is built (so the AsyncAPI document lists them without a
    database); they reach the database only once the app has started and filled the slot.
    """

    def __init__(self) -> None:
        self._pool: asyncpg.Pool | None = None

    def fill(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the database pool is created when the service starts")
        return self._pool

    @property
    def filled(self) -> bool:
        return self._pool is not None

    # `timeout` is asyncpg's own wait for a free connection, handed on (hence the noqa).
    @asynccontextmanager
    async def acquire(self, *, timeout: float | None = None) -> AsyncIterator[asyncpg.Connection]:  # noqa: ASYNC109
        async with self.pool.acquire(timeout=timeout) as proxy:
            yield cast(asyncpg.Connection, proxy)  # the pool's proxy behaves as the connection

    async def release(self, connection: PoolConnectionProxy) -> None:
        await self.pool.release(connection)
