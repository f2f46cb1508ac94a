"""The back-office beside a stack, for the console's decisions (issue 15): they go through its API with personal
tokens, and it needs the stack's topics to know what is under review, dead-lettered or set aside.

Every test stack runs its own back-office (the root conftest's SERVICES). Accounts and tokens are made with
guichet_backoffice.accounts, as `guichet users add` and `guichet users token` do. The gateway's portals (issue 17)
are added the same way, with guichet_gateway.portals, as `guichet portals add` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

ROOT = Path(__file__).resolve().parents[2]
# Who decides in these tests: a caseworker for reviews, two supervisors for four eyes.
PEOPLE = {"case-worker": "caseworker", "super-one": "supervisor", "super-two": "supervisor"}


@dataclass(frozen=True)
class Backoffice:
    url: str
    database_url: str
    tokens: dict[str, str]  # login -> personal API token

    def console_env(self, stack_env: dict[str, str], login: str) -> dict[str, str]:
        """The console's environment for `login`: the stack's, the back-office's address and the person's token."""
        return {**stack_env, "BACKOFFICE_URL": self.url + "/", "GUICHET_TOKEN": self.tokens[login]}

    def console(self, stack_env: dict[str, str], login: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "guichet_console", *args],
            env=self.console_env(stack_env, login),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def decide(self, stack_env: dict[str, str], login: str, *args: str) -> dict:
        """A write command with --json that must succeed: the back-office's decision."""
        done = self.console(stack_env, login, *args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    async def until_projected(self, query: str, *args: object, timeout_s: float = 60.0) -> object:
        """The first non-empty answer of `query` on the read model: what a decision needs must be projected first."""
        deadline = time.monotonic() + timeout_s
        connection = await asyncpg.connect(self.database_url)
        try:
            while time.monotonic() < deadline:
                if found := await connection.fetchval(query, *args):
                    return found
                await asyncio.sleep(0.3)
        finally:
            await connection.close()
        raise AssertionError(f"the back-office never projected: {query} {args}")

    @staticmethod
    async def outcome(probe, stack, command_id: str, timeout_s: float = 60.0) -> dict:
        """The owning service's answer to a command (applied or refused), from operations.command-outcomes.v1."""
        topic = stack.topic("operations.command-outcomes.v1")

        def answers(records) -> list[dict]:
            return [v for r in records if (v := json.loads(r.value)).get("command_id") == command_id]

        found = answers(await probe.read_until(topic, lambda rs: bool(answers(rs)), timeout_s=timeout_s))
        assert found, f"no outcome for command {command_id} in {timeout_s} s"
        return found[0]


async def _people(database_url: str) -> dict[str, str]:
    from guichet_backoffice import accounts

    connection = await asyncpg.connect(database_url)
    tokens = {}
    try:
        for login, role in PEOPLE.items():
            async with connection.transaction():
                if await accounts.find(connection, login) is None:
                    await accounts.add(connection, login, role, by="e2e-tests")
                tokens[login] = await accounts.issue_token(connection, login, "e2e", by="e2e-tests")
    finally:
        await connection.close()
    return tokens


@contextlib.asynccontextmanager
async def backoffice_beside(stack) -> AsyncIterator[Backoffice]:
    """The back-office of `stack` (a RunningStack runs it among its services), with one account and token per person
    of PEOPLE."""
    url = await stack.until_ready("backoffice")
    yield Backoffice(url, stack.database_urls["backoffice"], await _people(stack.database_urls["backoffice"]))


@pytest.fixture(scope="module")
async def backoffice(stack) -> AsyncIterator[Backoffice]:
    """The back-office beside the session's stack (one per test module that asks for it)."""
    async with backoffice_beside(stack) as running:
        yield running


@pytest.fixture
def backoffice_for() -> Callable[[object, str], contextlib.AbstractAsyncContextManager[Backoffice]]:
    """`async with backoffice_for(private_stack, label) as backoffice:` the back-office beside a test's own stack."""
    return lambda stack, label: backoffice_beside(stack)


@dataclass(frozen=True)
class Portal:
    """A portal of the gateway, with the key it was given once."""

    name: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@dataclass(frozen=True)
class GatewayDoor:
    """The HTTP door of a stack (every test stack runs a gateway): its URL, and portals added as an operator does
    (guichet_gateway.portals on the gateway's own database, what `guichet portals add` calls)."""

    url: str
    database_url: str

    async def add_portal(self, label: str, *, rate_limit_per_minute: int | None = None) -> Portal:
        """A new portal named `<label>-<random>`: tests on the shared stack never meet each other's portals."""
        from guichet_gateway import portals

        name = f"{label}-{secrets.token_hex(3)}"
        connection = await asyncpg.connect(self.database_url)
        try:
            async with connection.transaction():
                key = await portals.add_portal(
                    connection, name, rate_limit_per_minute=rate_limit_per_minute, now=dt.datetime.now(dt.UTC)
                )
        finally:
            await connection.close()
        return Portal(name, key.api_key)

    async def set_webhook(self, portal: Portal, url: str) -> str:
        """Register the portal's webhook URL; returns its signing secret (`whsec_…`)."""
        from guichet_gateway import portals

        connection = await asyncpg.connect(self.database_url)
        try:
            async with connection.transaction():
                return await portals.set_webhook(
                    connection, portal.name, url, allow_http_loopback=True, now=dt.datetime.now(dt.UTC)
                )
        finally:
            await connection.close()


@pytest.fixture(scope="module")
async def gateway(stack) -> GatewayDoor:
    """The session stack's gateway, once ready."""
    return GatewayDoor(await stack.until_ready("gateway"), stack.database_urls["gateway"])
