"""The back-office as a process on a real broker: events other services publish reach its read model; a dead letter
is shown with its coordinates; a record it cannot project from another service's topic is set aside, and nothing is
ever written to that topic's dead letters."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from guichet_backoffice.domain import UNPROJECTABLE_RECORD
from guichet_common.contracts.backoffice import SetAsideV1
from guichet_common.contracts.privacy import ClaimKeysV1
from guichet_common.kafka_admin import ensure_topics
from guichet_deploy.procs import free_port, stop_children

from ..unit.events import KEY_STATES, MASTER, NOW, at, budget, dead_letter_record, judgement, registered, status

pytestmark = pytest.mark.integration


@pytest.fixture
async def backoffice(
    infra: Any, backoffice_pool: asyncpg.Pool, backoffice_database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[str, str]]:
    """(topic prefix, base URL) of a back-office process of this test's own."""
    prefix = f"bo{secrets.token_hex(3)}."
    await ensure_topics(infra.kafka_bootstrap, prefix=prefix, partitions=3)
    port = free_port()
    env = {
        **os.environ,
        **infra.service_env(),
        "BACKOFFICE_DATABASE_URL": backoffice_database_url,
        "BACKOFFICE_HTTP_PORT": str(port),
        "GUICHET_TOPIC_PREFIX": prefix,
        "LOG_FORMAT": "json",
        "GUICHET_GAUGES_EVERY_S": "1",
        # The master key the test events' data keys are wrapped with (the stack's own key file is another).
        "GUICHET_PRIVACY_MASTER_KEY": base64.b64encode(MASTER.secret).decode(),
    }
    log = tmp_path / "backoffice.log"
    process = spawn(env, log)
    try:
        await until(lambda: ready(f"http://127.0.0.1:{port}"), what="ready", log=log, process=process)
        yield prefix, f"http://127.0.0.1:{port}"
    finally:
        stop_children([process])


def spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "guichet_backoffice"], env=env, stdout=out, stderr=out)


async def ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(url + "/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


async def until(
    check: Callable[[], Awaitable[bool]],
    *,
    what: str,
    log: Path | None = None,
    process: subprocess.Popen[bytes] | None = None,
    timeout_s: float = 90.0,
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        if await check():
            return
        await asyncio.sleep(0.3)
    tail = log.read_text(errors="replace")[-3000:] if log is not None else ""
    raise AssertionError(f"not {what} after {timeout_s} s\n{tail}")


async def test_events_published_by_the_services_reach_the_read_model(
    backoffice: tuple[str, str], backoffice_pool: asyncpg.Pool, probe: Any
) -> None:
    prefix, url = backoffice

    def value(event: Any) -> tuple[bytes, bytes]:
        return b"k", event.model_dump_json().encode()

    held = SetAsideV1(
        event_id=uuid.uuid4(),
        occurred_at=at(1),
        service="payments",
        kind="payment_attempt",
        item_id="P-7:1",
        state="held",
    )
    letter = dead_letter_record(prefix + "claims.submitted.v1", b"not json", "value is not JSON")
    await probe.publish(
        prefix + "claims.status.v1", [value(status("CLAIM-101", "under_review", 5, reasons=["IBAN_SHARED"]))]
    )
    await probe.publish(prefix + "claims.status.v1", [(b"k", b'{"claim_id": "CLAIM-102"}')])  # not a status
    claim = registered("CLAIM-101")  # sealed: intake announces its keys first
    keys = {
        kind: base64.b64encode(KEY_STATES[("CLAIM-101", kind)].wrapped or b"").decode() for kind in ("contact", "bank")
    }
    announced = ClaimKeysV1(subject="CLAIM-101", owner="intake", keys=keys, occurred_at=NOW)  # type: ignore[arg-type]
    await probe.publish(prefix + "privacy.claim-keys.v1", [(b"CLAIM-101", announced.model_dump_json().encode())])
    await probe.publish(prefix + "intake.claims-registered.v1", [value(claim)])
    await probe.publish(prefix + "eligibility.judgements.v1", [value(judgement("CLAIM-101", "under_review", 5))])
    await probe.publish(prefix + "payments.budgets.v1", [value(budget("cheque-france-num-2021", 42))])
    await probe.publish(prefix + "operations.set-aside.v1", [value(held)])
    await publish_with_headers(probe.bootstrap, letter.topic, letter)  # with its dlq.* headers, as the owner's relay

    async def projected() -> bool:
        async with backoffice_pool.acquire() as conn:
            return await conn.fetchval(
                "SELECT (SELECT count(*) FROM claims WHERE claim_id = 'CLAIM-101' AND registered"
                "   AND contact IS NOT NULL AND eligibility_status = 'under_review' AND status = 'under_review') = 1"
                " AND (SELECT count(*) FROM budgets) = 1 AND (SELECT count(*) FROM service_set_aside) = 1"
                " AND (SELECT count(*) FROM dead_letters WHERE reason = 'value is not JSON') = 1"
                " AND (SELECT count(*) FROM set_aside_items WHERE kind = $1) = 1",
                UNPROJECTABLE_RECORD,
            )

    await until(projected, what="projected")
    async with backoffice_pool.acquire() as conn:
        [held_here] = await conn.fetch("SELECT item_id FROM set_aside_items")
        letters = await conn.fetch("SELECT original_topic, owner FROM dead_letters WHERE reason = 'value is not JSON'")
    assert held_here["item_id"].startswith(prefix + "claims.status.v1/")
    assert [tuple(r) for r in letters] == [(prefix + "claims.submitted.v1", "intake")]
    # The back-office never writes the dead letters of a topic it does not own.
    written = await probe.read_until(prefix + "claims.status.v1.dlq", lambda records: bool(records), timeout_s=3.0)
    assert written == []

    async def counted() -> bool:  # visibly: the set-aside gauge every service exposes
        async with httpx.AsyncClient() as client:
            lines = (await client.get(url + "/metrics")).text.splitlines()
        return any("set_aside" in line and UNPROJECTABLE_RECORD in line and line.endswith(" 1.0") for line in lines)

    await until(counted, what="counted in /metrics", timeout_s=30.0)


async def publish_with_headers(bootstrap: str, topic: str, record: Any) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=record.value, key=record.key, headers=list(record.headers))
    finally:
        await producer.stop()
