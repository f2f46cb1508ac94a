"""The back-office in real headless Chromium: the session's stack (root conftest) with the back-office running as
a process beside the four services, one account per role, and a browser with axe-core in every page.

pytest runs with `--import-mode=importlib`, so this folder is not on sys.path: it is put there once, for the
helper modules `browser_*.py` (named so that they clash with no other folder's modules)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_axe import add_axe

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("caseworker", "supervisor", "finance", "auditor", "admin")
# Debian's chromium (.ci/run installs it): Playwright never downloads a browser of its own here.
CHROMIUM = os.environ.get("GUICHET_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@dataclass(frozen=True)
class Backoffice:
    url: str
    database_url: str
    passwords: dict[str, str]  # role -> password of the account `browser-<role>`

    def login(self, role: str) -> str:
        return f"browser-{role}"


async def _wait_ready(url: str, process: subprocess.Popen | None, log: Path | None, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                tail = log.read_text(errors="replace")[-4000:] if log else ""
                raise AssertionError(f"the back-office exited at start:\n{tail}")
            try:
                if (await client.get(url + "/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
    raise AssertionError(f"the back-office never became ready at {url}")


def spawn_backoffice(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "guichet_backoffice"], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
        )


@pytest.fixture(scope="module")
async def backoffice_process(stack, infra, run_id: str) -> AsyncIterator[tuple[str, str]]:
    """(base URL, database URL) of the back-office on the session's stack: the stack's own process once the
    back-office is among the root conftest's SERVICES, else one started here on a database of its own."""
    if "backoffice" in stack.processes:
        url = stack.http("backoffice")
        await _wait_ready(url, stack.processes["backoffice"], None)
        yield url, stack.database_urls["backoffice"]
        return
    from guichet_deploy.postgres import drop_databases, provision_databases
    from guichet_deploy.procs import free_port, stop_children

    suffix = f"_browser{run_id}"
    assert infra.pg_admin_dsn is not None, "the browser tests need a PostgreSQL they can create a database on"
    database_url = (await provision_databases(infra.pg_admin_dsn, ["backoffice"], suffix=suffix))["backoffice"]
    port = free_port()
    env = {**stack.env, "BACKOFFICE_DATABASE_URL": database_url, "BACKOFFICE_HTTP_PORT": str(port)}
    log = stack.logs / "backoffice.log"
    process = spawn_backoffice(env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_ready(url, process, log)
        yield url, database_url
    finally:
        stop_children([process])
        await drop_databases(infra.pg_admin_dsn, ["backoffice"], suffix=suffix)


@pytest.fixture(scope="module")
async def backoffice(backoffice_process: tuple[str, str]) -> Backoffice:
    """The back-office with one active account per role, each with a password of its own."""
    import asyncpg

    from guichet_backoffice import accounts

    url, database_url = backoffice_process
    passwords = {}
    connection = await asyncpg.connect(database_url)
    try:
        for role in ROLES:
            login, passwords[role] = f"browser-{role}", f"Mot-de-passe-{role}-{os.urandom(6).hex()}"
            async with connection.transaction():
                # As `guichet users add` then the owner's first sign-in: a one-time password, replaced.
                one_time = await accounts.add(connection, login, role, by="browser-tests")
                await accounts.change_password(connection, login, one_time, passwords[role])
    finally:
        await connection.close()
    return Backoffice(url, database_url, passwords)


@pytest.fixture(scope="module")
async def browser():
    """Headless Debian chromium driven by Playwright; a new context per person keeps their cookies apart."""
    from playwright.async_api import async_playwright

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise AssertionError(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def new_context(browser):
    """`await new_context()`: a fresh browser context (its own cookies) with axe-core in every page."""
    opened = []

    async def make():
        context = await browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        await add_axe(context)
        opened.append(context)
        return context

    yield make
    for context in opened:
        await context.close()
