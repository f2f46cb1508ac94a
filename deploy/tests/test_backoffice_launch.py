"""The launcher's part of the back-office (`make up`, `make demo`): it starts it like any service, then gives a fresh
stack its first administrator and prints the address, the login and a one-time password, once."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from guichet_backoffice.accounts import FIRST_ADMIN
from guichet_backoffice.auth.passwords import verify_password
from guichet_deploy.backoffice import backoffice_url, first_admin_lines
from guichet_deploy.infra import Infra
from guichet_deploy.postgres import drop_databases, provision_databases
from guichet_deploy.services import http_ports, start_services, stop_services

pytestmark = pytest.mark.integration


@pytest.fixture
async def backoffice_alone(infra, topic_prefix: str, tmp_path: Path) -> AsyncIterator[Infra]:
    """The back-office as the launcher starts it, on a throwaway database and state folder of its own."""
    if infra.pg_admin_dsn is None:
        pytest.skip("needs the PostgreSQL admin DSN to make a throwaway database")
    suffix = f"_fa{secrets.token_hex(3)}"
    urls = await provision_databases(infra.pg_admin_dsn, ["backoffice"], suffix=suffix)
    own = dataclasses.replace(infra, database_urls=urls, state_dir=tmp_path / "state")
    try:
        await asyncio.to_thread(
            start_services, own, ("backoffice",), {"GUICHET_TOPIC_PREFIX": topic_prefix}, settle_s=1.0
        )
        yield own
    finally:
        await asyncio.to_thread(stop_services, own.state_dir)
        await drop_databases(infra.pg_admin_dsn, ["backoffice"], suffix=suffix)


async def test_a_fresh_stack_gets_one_first_admin_whose_password_is_shown_once(backoffice_alone: Infra) -> None:
    url = backoffice_url(http_ports(backoffice_alone.state_dir))
    assert url.startswith("http://127.0.0.1:") and url.endswith("/")

    first = await first_admin_lines(backoffice_alone)

    assert first[0] == f"back-office     {url}", first
    assert first[1].split() == ["sign", "in", "as", FIRST_ADMIN], first
    password = first[2].split()[1]
    conn = await asyncpg.connect(backoffice_alone.database_urls["backoffice"])
    try:
        account = await conn.fetchrow(
            "SELECT role, password_hash, must_change_password FROM accounts WHERE login = $1", FIRST_ADMIN
        )
    finally:
        await conn.close()
    assert account["role"] == "admin" and account["must_change_password"]
    assert verify_password(account["password_hash"], password)

    again = await first_admin_lines(backoffice_alone)
    assert again[0] == first[0] and "exists already" in again[1] and password not in "\n".join(again)
    log = (backoffice_alone.state_dir / "logs" / "backoffice.log").read_text(errors="replace")
    assert password not in log
