"""`guichet portals ...` on a real, migrated gateway database: keys and secrets printed once and stored only as
the gateway keeps them, refusals as messages and exit code 1, and the webhook journal as the gateway wrote it."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from typer.testing import CliRunner

from guichet_common.db import create_pool, run_migrations
from guichet_common.runtime import COMMON_MIGRATIONS
from guichet_console import cli

pytestmark = pytest.mark.integration
GATEWAY_MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "gateway" / "migrations"
AT = dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC)


@pytest.fixture
async def gateway_url(infra, run_id: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """A gateway database of this test's own, migrated as the gateway migrates it, and the console pointed at it."""
    from guichet_deploy.postgres import drop_databases, provision_databases

    if infra.pg_admin_dsn is None:
        pytest.skip("needs a PostgreSQL the tests may create databases on")
    suffix = f"_portals{run_id}"
    url = (await provision_databases(infra.pg_admin_dsn, ["gateway"], suffix=suffix))["gateway"]
    pool = await create_pool(url, size=1)
    await run_migrations(pool, COMMON_MIGRATIONS)
    await run_migrations(pool, GATEWAY_MIGRATIONS)
    await pool.close()
    monkeypatch.setenv("GATEWAY_DATABASE_URL", url)
    monkeypatch.delenv(LOOPBACK, raising=False)
    yield url
    await drop_databases(infra.pg_admin_dsn, ["gateway"], suffix=suffix)


LOOPBACK = "GATEWAY_WEBHOOK_ALLOW_HTTP_LOOPBACK"


async def guichet(*args: str) -> Any:
    # In a thread: the command runs its own event loop, as from a terminal.
    return await asyncio.to_thread(CliRunner().invoke, cli.app, ["portals", *args], env={"COLUMNS": "200"})


def refused(result: Any) -> bool:
    """Exit 1 with a message on stderr, not a traceback."""
    return result.exit_code == 1 and result.stderr.startswith("refused") and "Traceback" not in result.output


async def stored(url: str, name: str) -> asyncpg.Record:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchrow("SELECT * FROM portals WHERE name = $1", name)
    finally:
        await conn.close()


def key_matches(api_key: str, stored_sha256: bytes) -> bool:
    # guichet_gateway.keys.key_matches, which the console's code (tests included) may not import: the SHA-256.
    return hashlib.sha256(api_key.encode("ascii")).digest() == stored_sha256


async def test_a_key_is_printed_once_stored_hashed_and_rotated(gateway_url: str) -> None:
    added = await guichet("add", "cci-alpha", "--rate-limit", "30", "--json")
    assert added.exit_code == 0, added.output
    document = json.loads(added.stdout)
    assert list(document) == ["portal", "api_key"] and document["portal"] == "cci-alpha"
    first_key = document["api_key"]
    row = await stored(gateway_url, "cci-alpha")
    assert key_matches(first_key, row["key_sha256"]) and row["rate_limit_per_minute"] == 30
    assert all(first_key not in str(value) for value in row.values())  # never in clear

    rotated = await guichet("rotate-key", "cci-alpha", "--json")
    assert rotated.exit_code == 0, rotated.output
    second_key = json.loads(rotated.stdout)["api_key"]
    row = await stored(gateway_url, "cci-alpha")
    assert key_matches(second_key, row["key_sha256"]) and not key_matches(first_key, row["key_sha256"])

    plain = await guichet("add", "cci-beta")
    assert plain.exit_code == 0 and "shown once" in plain.stdout
    assert key_matches(plain.stdout.split()[-1], (await stored(gateway_url, "cci-beta"))["key_sha256"])


async def test_what_is_refused_says_why_and_changes_nothing(gateway_url: str) -> None:
    assert (await guichet("add", "cci-alpha")).exit_code == 0
    for result in (
        await guichet("add", "cci-alpha"),  # exists
        await guichet("add", "CCI Alpha!"),  # not a portal name
        await guichet("rotate-key", "nobody"),
        await guichet("disable", "nobody"),
        await guichet("webhook", "nobody", "https://hooks.example.org/"),
        await guichet("deliveries", "nobody"),
    ):
        assert refused(result), (result.exit_code, result.output)
    assert await stored(gateway_url, "nobody") is None


async def test_a_disabled_portal_is_listed_without_its_key(gateway_url: str) -> None:
    key = json.loads((await guichet("add", "cci-alpha", "--json")).stdout)["api_key"]
    assert (await guichet("add", "cci-beta")).exit_code == 0
    disabled = await guichet("disable", "cci-alpha")
    assert disabled.exit_code == 0 and "disabled" in disabled.stdout
    assert (await stored(gateway_url, "cci-alpha"))["disabled_at"] is not None

    listed = await guichet("list", "--json")
    assert listed.exit_code == 0, listed.output
    portals = {portal["name"]: portal for portal in json.loads(listed.stdout)["portals"]}
    assert set(portals) == {"cci-alpha", "cci-beta"}
    assert portals["cci-alpha"]["disabled_at"] and not portals["cci-beta"]["disabled_at"]
    table = await guichet("list")
    for shown in (listed.stdout, table.stdout):
        assert key not in shown and "gw_" not in shown and "key_sha256" not in shown
    assert "cci-alpha" in table.stdout and "disabled" in table.stdout


async def test_a_webhook_must_be_https_and_its_secret_is_printed_once(
    gateway_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await guichet("add", "cci-alpha")).exit_code == 0
    assert refused(await guichet("webhook", "cci-alpha", "http://example.org/hooks"))
    assert refused(await guichet("webhook", "cci-alpha", "http://127.0.0.1:9999/hooks"))  # not unless allowed
    assert (await stored(gateway_url, "cci-alpha"))["webhook_url"] is None

    url = "https://hooks.example.org/guichet"
    registered = await guichet("webhook", "cci-alpha", url, "--json")
    assert registered.exit_code == 0, registered.output
    document = json.loads(registered.stdout)
    assert list(document) == ["portal", "webhook_url", "webhook_secret"]
    assert document["portal"] == "cci-alpha" and document["webhook_url"] == url
    assert document["webhook_secret"].startswith("whsec_")
    assert (await stored(gateway_url, "cci-alpha"))["webhook_url"] == url

    listed = await guichet("list", "--json")
    assert url in listed.stdout and document["webhook_secret"] not in listed.stdout and "whsec_" not in listed.stdout

    monkeypatch.setenv(LOOPBACK, "true")  # as the local stack sets it for the gateway (tests, make demo)
    assert (await guichet("webhook", "cci-alpha", "http://127.0.0.1:9999/hooks")).exit_code == 0


async def test_the_journal_shows_each_delivery_with_its_attempts(gateway_url: str) -> None:
    assert (await guichet("add", "cci-alpha")).exit_code == 0
    assert (await guichet("add", "cci-beta")).exit_code == 0
    failed, delivered, _beta_s = await journal(gateway_url)

    everything = await guichet("deliveries", "cci-alpha", "--json")
    assert everything.exit_code == 0, everything.output
    document = json.loads(everything.stdout)
    assert document["portal"] == "cci-alpha"
    by_id = {one["delivery_id"]: one for one in document["deliveries"]}
    assert set(by_id) == {failed, delivered}  # not cci-beta's
    assert by_id[failed]["state"] == "failed" and by_id[delivered]["state"] == "delivered"
    assert [(a["http_status"], a["error"]) for a in by_id[failed]["journal"]] == [(503, None), (None, "ConnectTimeout")]
    assert [a["http_status"] for a in by_id[delivered]["journal"]] == [204]

    only_failed = json.loads((await guichet("deliveries", "cci-alpha", "--state", "failed", "--json")).stdout)
    assert [one["delivery_id"] for one in only_failed["deliveries"]] == [failed]
    table = await guichet("deliveries", "cci-alpha")
    assert table.exit_code == 0 and "ConnectTimeout" in table.stdout and "CLM-F" in table.stdout
    assert (await guichet("deliveries", "cci-alpha", "--state", "lost")).exit_code == 2


async def journal(url: str) -> tuple[int, int, int]:
    """Deliveries as the gateway's sender leaves them: cci-alpha's failed one after two attempts, its delivered one,
    and one of cci-beta's."""
    conn = await asyncpg.connect(url)
    try:
        ids = []
        for portal, claim, state in [
            ("cci-alpha", "CLM-F", "failed"),
            ("cci-alpha", "CLM-D", "delivered"),
            ("cci-beta", "CLM-B", "pending"),
        ]:
            event_id = uuid.uuid4()
            await conn.execute(
                "INSERT INTO claims (claim_id, portal, body_sha256, event_id, programme, accepted_at)"
                " VALUES ($1, $2, $3, $4, 'cheque-numerique', $5)",
                *(claim, portal, hashlib.sha256(claim.encode()).digest(), uuid.uuid4(), AT),
            )
            seq = await conn.fetchval(
                "INSERT INTO statuses (event_id, claim_id, status, occurred_at, payload)"
                " VALUES ($1, $2, 'registered', $3, '{}') RETURNING seq",
                *(event_id, claim, AT),
            )
            ids.append(
                await conn.fetchval(
                    "INSERT INTO webhook_deliveries (portal, claim_id, event_id, seq, state, attempts, created_at,"
                    " next_attempt_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6) RETURNING delivery_id",
                    *(portal, claim, event_id, seq, state, AT),
                )
            )
        attempts = [(ids[0], 1, 503, None), (ids[0], 2, None, "ConnectTimeout"), (ids[1], 1, 204, None)]
        for delivery_id, attempt, status, error in attempts:
            await conn.execute(
                "INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, http_status, error, duration_ms)"
                " VALUES ($1, $2, $3, $4, $5, 12)",
                *(delivery_id, attempt, AT + dt.timedelta(minutes=attempt), status, error),
            )
        return ids[0], ids[1], ids[2]
    finally:
        await conn.close()
