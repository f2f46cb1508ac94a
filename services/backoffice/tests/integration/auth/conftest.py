"""The back-office's sign-in, decisions and audit trail on a real PostgreSQL, through its web app in-process
(httpx's ASGI transport, in the test's own event loop, so the app shares the test's pool)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from guichet_backoffice.settings import BackofficeSettings
from guichet_common.db import PoolSlot, create_pool, run_migrations
from guichet_common.runtime import COMMON_MIGRATIONS

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"
TOPIC_PREFIX = "it-auth."
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _database(infra, suffix: str) -> str:
    from guichet_deploy.postgres import provision_databases

    if infra.pg_admin_dsn is None:
        pytest.skip("needs a PostgreSQL the tests may create databases on")
    return (await provision_databases(infra.pg_admin_dsn, ["backoffice"], suffix=suffix))["backoffice"]


def superuser_dsn(infra, database_url: str) -> str:
    """The server's admin role on the back-office's test database: what a tamperer with full rights holds."""
    admin = urlsplit(infra.pg_admin_dsn)
    return urlunsplit(admin._replace(path=urlsplit(database_url).path))


async def migrated(url: str) -> asyncpg.Pool:
    pool = await create_pool(url, size=4)
    await run_migrations(pool, COMMON_MIGRATIONS)
    await run_migrations(pool, MIGRATIONS)
    return pool


@pytest.fixture(scope="session")
async def backoffice_url(infra, run_id: str) -> AsyncIterator[str]:
    from guichet_deploy.postgres import drop_databases

    url = await _database(infra, f"_auth{run_id}")
    yield url
    await drop_databases(infra.pg_admin_dsn, ["backoffice"], suffix=f"_auth{run_id}")


@pytest.fixture
async def fresh_database(infra, run_id: str) -> AsyncIterator[str]:
    """A database of its own, for a test that breaks the audit trail on purpose."""
    from guichet_deploy.postgres import drop_databases

    suffix = f"_tamper{run_id}"
    yield await _database(infra, suffix)
    await drop_databases(infra.pg_admin_dsn, ["backoffice"], suffix=suffix)


@pytest.fixture
async def pool(backoffice_url: str) -> AsyncIterator[asyncpg.Pool]:
    """The migrated database, emptied but for the audit trail (append-only: it only grows, and stays a chain)."""
    created = await migrated(backoffice_url)
    tables = await created.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        " AND tablename NOT IN ('schema_migrations', 'audit_trail')"
    )
    await created.execute("TRUNCATE " + ", ".join(f'"{t["tablename"]}"' for t in tables) + " CASCADE")
    yield created
    await created.close()


def settings(**changes: object) -> BackofficeSettings:
    # The shared settings are read by their un-prefixed names only (GUICHET_TOPIC_PREFIX, not topic_prefix).
    values = {"GUICHET_TOPIC_PREFIX": TOPIC_PREFIX, "cookie_secure": False, "lockout_after_failures": 3, **changes}
    return BackofficeSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def web(pool: asyncpg.Pool) -> Callable[..., httpx.AsyncClient]:
    """`web()`: a new browser (its own cookies) on the back-office's web app."""
    from guichet_backoffice.web.app import create_web

    slot = PoolSlot()
    slot.fill(pool)
    app = create_web(SimpleNamespace(settings=settings(), pool=slot))  # type: ignore[arg-type]

    def client() -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")

    return client


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, f"no CSRF field in {page.request.url}:\n{page.text[:500]}"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    form = await client.get("/connexion")
    return await client.post(
        "/connexion", data={"login": login, "password": password, "csrf_token": csrf_of(form), "suite": "/jeton"}
    )


Person = Callable[[str, str], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def person(pool: asyncpg.Pool, web: Callable[..., httpx.AsyncClient]) -> AsyncIterator[Person]:
    """`await person(login, role)`: an account with a chosen password, signed in, as a browser (closed after)."""
    from guichet_backoffice import accounts

    browsers: list[httpx.AsyncClient] = []

    async def make(login: str, role: str) -> httpx.AsyncClient:
        password = f"Mot-de-passe-{login}-long"
        async with pool.acquire() as conn, conn.transaction():
            one_time = await accounts.add(conn, login, role, by="tests")
            await accounts.change_password(conn, login, one_time, password)
        client = web()
        browsers.append(client)
        answer = await sign_in(client, login, password)
        assert answer.status_code == 303, answer.text
        return client

    yield make
    for browser in browsers:
        await browser.aclose()
