"""What the launcher does for the back-office beyond starting it: tell its address, and give a fresh stack its first
administrator (`make up`, `make demo`), whose one-time password is printed once and never logged."""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from collections.abc import Mapping

import asyncpg

from guichet_deploy.infra import Infra
from guichet_deploy.services import http_ports, service_url

BACKOFFICE = "backoffice"


def backoffice_url(ports: Mapping[str, int]) -> str:
    """`http://127.0.0.1:<port>/` of the first back-office process the launcher started; "" when none was."""
    return service_url(ports, BACKOFFICE)


async def first_admin_lines(infra: Infra, timeout_s: float = 90.0) -> list[str]:
    """Once the back-office answers /readyz (its migrations ran), create the first admin if there is none; return
    the lines to print: the address, the login and its one-time password, or why there is none to show."""
    url = backoffice_url(http_ports(infra.state_dir))
    if not url:
        return []
    lines = [f"back-office     {url}"]
    if not await _until_ready(url, timeout_s):
        return [*lines, f"  not ready after {timeout_s:.0f} s: see {infra.state_dir / 'logs' / 'backoffice.log'}"]
    # Imported here: the launcher runs the services as processes and needs none of them to start the others.
    from guichet_backoffice.accounts import FIRST_ADMIN, ensure_first_admin

    connection = await asyncpg.connect(infra.database_urls[BACKOFFICE])
    try:
        password = await ensure_first_admin(connection)
    finally:
        await connection.close()
    if password is None:
        return [*lines, "  an administrator exists already: `guichet users add` creates more accounts"]
    return [
        *lines,
        f"  sign in as     {FIRST_ADMIN}",
        f"  password       {password}   (one-time: you choose your own at the first sign-in)",
    ]


async def _until_ready(url: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not await asyncio.to_thread(_answers, url + "readyz"):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.5)
    return True


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False
