"""The console's write commands hold no database role, not even their own (issue 15): a decision leaves through
the back-office's API under a person's token, and the owning service applies it. Here `guichet dlq discard` runs
on the session's stack with an environment that holds no database address, no password and no broker address, and
the intake still records the discard, with the person's login.

Part of the privileges suite: test_database_privileges.py shows each service's role reaches only its own database;
this shows the console's write path needs none of them.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid

import asyncpg
import pytest

from guichet_backoffice.operators import accounts

pytestmark = pytest.mark.e2e

NO_CREDENTIAL = ("DATABASE_URL", "PASSWORD", "PGPASS", "DSN", "KAFKA", "BOOTSTRAP")


def bare_environment(**only: str) -> dict[str, str]:
    """What a person's terminal needs to run the console, and nothing that reaches a database or the broker. The
    state folder cannot exist (under /dev/null), so the console cannot start a local stack of its own either."""
    kept = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env = {**kept, **only, "GUICHET_STATE_DIR": "/dev/null/no-stack-here"}
    assert not [k for k in env if any(word in k.upper() for word in NO_CREDENTIAL)]
    return env


async def until(query: str, database_url: str, *args: object, timeout_s: float = 90.0) -> object:
    connection = await asyncpg.connect(database_url)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if found := await connection.fetchval(query, *args):
                return found
            await asyncio.sleep(0.3)
    finally:
        await connection.close()
    raise AssertionError(f"never: {query} {args}")


async def test_a_discard_from_the_console_reaches_its_owner_with_no_database_role_in_hand(stack, probe) -> None:
    await stack.until_ready("backoffice")  # its schema is made at its start
    backoffice_db = stack.database_urls["backoffice"]
    login = f"sup-{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(backoffice_db)
    try:
        async with connection.transaction():
            await accounts.add(connection, login, "supervisor", by="privileges-suite")
            token = await accounts.issue_token(connection, login, "privileges-suite", by="privileges-suite")
    finally:
        await connection.close()
    key = uuid.uuid4().hex.encode()
    await probe.publish(stack.topic("claims.submitted.v1"), [(key, b"\xff not a claim")])
    dead_id = await until(
        "SELECT id FROM dead_letters WHERE original_topic = $1 AND key = $2",
        backoffice_db,
        stack.topic("claims.submitted.v1"),
        key,
    )

    env = bare_environment(
        BACKOFFICE_URL=stack.http("backoffice") + "/",
        GUICHET_TOKEN=token,
        GUICHET_TOPIC_PREFIX=stack.topic_prefix,
    )
    unprefixed = str(dead_id).removeprefix(stack.topic_prefix)
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "guichet_console", "dlq", "discard", unprefixed, "--reason", "test record", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["state"] == "complete"

    topic, partition, offset = str(dead_id).rsplit(":", 2)
    decided_by = await until(
        "SELECT operator FROM dead_letter_actions"
        " WHERE dlq_topic = $1 AND dlq_partition = $2 AND dlq_offset = $3 AND action = 'discarded'",
        stack.database_urls["intake"],
        topic,
        int(partition),
        int(offset),
    )
    assert decided_by == login
