"""Each service's PostgreSQL role owns its database and nothing else: it cannot open, read or write another
service's database, cannot act as another service's role, and holds no server-wide power (superuser, CREATEDB,
CREATEROLE). The back-office is one of them: it builds its read model from events, and people's decisions (its
pages, and the console's write commands through its API with a personal token) leave as commands through its own
outbox, so nothing it does needs another service's role.

Real connections on the databases `provision_databases` makes, as the launcher makes them for the services.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from itertools import permutations
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from guichet_deploy import postgres
from guichet_deploy.postgres import database_name, drop_databases

pytestmark = pytest.mark.integration

SERVICES = ("intake", "eligibility", "payments", "notifications", "gateway", "backoffice")
PAIRS = list(permutations(SERVICES, 2))
SUFFIX = f"_priv{secrets.token_hex(3)}"


@pytest.fixture(scope="module")
async def admin_dsn(infra) -> str:
    if infra.pg_admin_dsn is None:
        pytest.skip("needs the PostgreSQL admin DSN to make throwaway databases")
    return infra.pg_admin_dsn


@pytest.fixture(scope="module")
async def dsns(admin_dsn: str) -> AsyncIterator[dict[str, str]]:
    urls = await postgres.provision_databases(admin_dsn, SERVICES, suffix=SUFFIX)
    # Each service's own table with a row, as its migrations would leave it.
    for url in urls.values():
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("CREATE TABLE private_records (secret text)")
            await conn.execute("INSERT INTO private_records VALUES ('only for ' || current_user)")
        finally:
            await conn.close()
    yield urls
    await drop_databases(admin_dsn, SERVICES, suffix=SUFFIX)


def with_database(dsn: str, database: str) -> str:
    """The same role and password, another database."""
    return urlunsplit(urlsplit(dsn)._replace(path="/" + database))


def role(service: str) -> str:
    return database_name(service, SUFFIX)


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_uses_its_own_database(dsns: dict[str, str], service: str) -> None:
    conn = await asyncpg.connect(dsns[service])
    try:
        await conn.execute("CREATE TABLE own_work (id int primary key)")
        await conn.execute("INSERT INTO own_work VALUES (1)")
        assert await conn.fetchval("SELECT count(*) FROM private_records") == 1
        assert await conn.fetchval("SELECT current_database()") == role(service)
    finally:
        await conn.close()


@pytest.mark.parametrize(("service", "other"), PAIRS)
async def test_a_service_cannot_connect_to_another_services_database(
    dsns: dict[str, str], service: str, other: str
) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied for database"):
        await asyncpg.connect(with_database(dsns[service], role(other)))


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_role_has_no_server_wide_power(dsns: dict[str, str], service: str) -> None:
    conn = await asyncpg.connect(dsns[service])
    try:
        powers = await conn.fetchrow(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles"
            " WHERE rolname = current_user"
        )
        assert not any(powers.values()), dict(powers)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(f'CREATE DATABASE "{role(service)}_extra"')
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(f'CREATE ROLE "{role(service)}_friend"')
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # the server's files, through a superuser-only function
            await conn.fetchval("SELECT pg_read_file('postgresql.conf')")
    finally:
        await conn.close()


@pytest.mark.parametrize(("service", "other"), PAIRS)
async def test_even_inside_another_services_database_a_role_could_neither_read_nor_write(
    admin_dsn: str, dsns: dict[str, str], service: str, other: str
) -> None:
    """Belt and braces behind the refused connection: the admin opens `other`'s database and acts as `service`'s
    role there, which is what a role granted CONNECT by mistake could do."""
    conn = await asyncpg.connect(with_database(admin_dsn, role(other)))
    try:
        for check in (
            "database_privilege($1, current_database(), 'CONNECT')",
            "database_privilege($1, current_database(), 'TEMP')",
            "schema_privilege($1, 'public', 'CREATE')",
        ):
            assert not await conn.fetchval(f"SELECT has_{check}", role(service)), check
        await conn.execute(f'SET ROLE "{role(service)}"')
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch("SELECT * FROM private_records")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("INSERT INTO private_records VALUES ('planted')")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # the public schema is its owner's alone
            await conn.execute("CREATE TABLE public.planted (id int)")
    finally:
        await conn.close()


@pytest.mark.parametrize(("service", "other"), PAIRS)
async def test_a_service_cannot_take_on_another_services_role(dsns: dict[str, str], service: str, other: str) -> None:
    """No role is a member of another: SET ROLE, which a granted membership would allow, is refused."""
    conn = await asyncpg.connect(dsns[service])
    try:
        assert not await conn.fetchval("SELECT pg_has_role(current_user, $1, 'USAGE')", role(other))
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(f'SET ROLE "{role(other)}"')
    finally:
        await conn.close()


async def test_the_backoffice_role_is_member_of_no_role_and_owns_only_its_database(
    admin_dsn: str, dsns: dict[str, str]
) -> None:
    """What the console's write commands reach (the back-office's API runs as this role, with the operator's
    personal token) holds no other service's role, so a decision cannot be written into an owner's data."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        granted = await conn.fetch(
            "SELECT pg_get_userbyid(roleid) AS granted FROM pg_auth_members"
            " WHERE member = (SELECT oid FROM pg_roles WHERE rolname = $1)",
            role("backoffice"),
        )
        assert granted == []
        owned = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = $1)",
            role("backoffice"),
        )
        assert [row["datname"] for row in owned] == [role("backoffice")]
    finally:
        await conn.close()
