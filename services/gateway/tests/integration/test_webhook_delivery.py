"""Webhooks on a real PostgreSQL to a real HTTP receiver written here, which verifies every signature with the
standardwebhooks package and keeps what it got by webhook-id: across an outage (port closed, then 503s) and two
senders at once (two gateway processes), every status of the portal's claims arrives exactly once per event id and
in order per claim. The receiver and the helpers serve test_webhook_redelivery.py too."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import uvicorn
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from structlog.testing import capture_logs

from guichet_common.background import repeating
from guichet_common.contracts import ClaimStatusV1
from guichet_common.unit_of_work import announcing, open_unit_of_work
from guichet_deploy.procs import free_port
from guichet_gateway.portals import add_portal, set_webhook
from guichet_gateway.settings import GatewaySettings
from guichet_gateway.unit_of_work import GatewayUnitOfWork
from guichet_gateway.webhooks import wiring

pytestmark = pytest.mark.integration
NOW = dt.datetime.now(dt.UTC)
STATUSES = ("received", "approved", "payment_scheduled", "payment_sent")


class Receiver:
    """A portal's webhook endpoint: 503 while `down`, a redirect on /moved; a verified delivery is kept by
    webhook-id (a second copy of one is counted as a duplicate)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.secret = ""
        self.down = False
        self.by_id: dict[str, dict[str, Any]] = {}
        self.duplicates: Counter[str] = Counter()
        self.per_claim: defaultdict[str, list[str]] = defaultdict(list)
        self.paths: Counter[str] = Counter()
        self.unverified = 0
        routes = [Route("/{path:path}", self.hook, methods=["POST"])]
        self._server = uvicorn.Server(
            uvicorn.Config(Starlette(routes=routes), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        )
        self._task: asyncio.Task[None] | None = None

    def url(self, path: str = "hook") -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token=not-for-logs"

    async def hook(self, request: Request) -> Response:
        self.paths[request.url.path] += 1
        if request.url.path == "/moved":
            return Response(status_code=307, headers={"location": "/elsewhere"})
        if self.down:
            return Response(status_code=503)
        body = await request.body()
        try:
            event = Webhook(self.secret).verify(body, dict(request.headers))
        except Exception:
            self.unverified += 1
            return Response(status_code=401)
        webhook_id = request.headers["webhook-id"]
        assert webhook_id == event["event_id"]
        if webhook_id in self.by_id:
            self.duplicates[webhook_id] += 1
        else:
            self.by_id[webhook_id] = event
            self.per_claim[event["claim_id"]].append(webhook_id)
        return Response(status_code=204)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task


def settings(**overrides: Any) -> GatewaySettings:
    short = {
        "webhook_retry_base_s": 0.05,
        "webhook_retry_max_s": 0.3,
        "webhook_give_up_after_s": 60.0,
        "webhook_timeout_s": 2.0,
        "webhook_pause_s": 0.05,
        "webhook_allow_http_loopback": True,
    }
    return GatewaySettings(**(short | overrides))


@contextlib.asynccontextmanager
async def senders(pool: asyncpg.Pool, config: GatewaySettings, count: int) -> AsyncIterator[None]:
    """`count` senders at once, as `count` gateway processes would run them (`wiring.repeat`)."""
    units = announcing(GatewayUnitOfWork, "gateway", "")
    loops = [
        asyncio.create_task(repeating("webhook_sender", pool, units, wiring.sender(config).turn, pause_s=0.05)())
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)


async def portal_with_claims(pool: asyncpg.Pool, name: str, url: str, claims: list[str]) -> str:
    async with pool.acquire() as conn, conn.transaction():
        await add_portal(conn, name, now=NOW)
        secret = await set_webhook(conn, name, url, allow_http_loopback=True, now=NOW)
        for claim_id in claims:
            await conn.execute(
                "INSERT INTO claims (claim_id, portal, body_sha256, event_id, programme, accepted_at)"
                " VALUES ($1, $2, $3, $4, 'cheque-france-num-2021', $5)",
                claim_id,
                name,
                b"\0" * 32,
                uuid.uuid4(),
                NOW,
            )
    return secret


def status(claim_id: str, name: str) -> ClaimStatusV1:
    return ClaimStatusV1.model_validate(
        {
            "event_id": uuid.uuid4(),
            "occurred_at": dt.datetime.now(dt.UTC),
            "claim_id": claim_id,
            "programme": "cheque-france-num-2021",
            "status": name,
            "reasons": [],
            "source": "cci-alpha",
        },
        strict=False,
    )


async def consume(pool: asyncpg.Pool, batch: list[ClaimStatusV1]) -> None:
    async with open_unit_of_work(pool, GatewayUnitOfWork) as uow:
        await wiring.on_statuses(uow, batch)
        await uow.commit()


async def until(condition: Any, timeout_s: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_every_status_arrives_once_and_in_order_per_claim_across_an_outage(gateway_pool: asyncpg.Pool) -> None:
    receiver = Receiver(free_port())
    claims = [f"CFN-WH-{n}" for n in range(6)]
    receiver.secret = await portal_with_claims(gateway_pool, "cci-alpha", receiver.url(), claims)
    sent: defaultdict[str, list[str]] = defaultdict(list)
    with capture_logs() as logs:
        async with senders(gateway_pool, settings(), count=2):
            # The receiver's port is closed while the first statuses come: connection refused, retried.
            for name in STATUSES[:2]:
                batch = [status(claim_id, name) for claim_id in claims] + [status("CFN-NOT-OURS", name)]
                await consume(gateway_pool, batch)
                for one in batch[:-1]:
                    sent[one.claim_id].append(str(one.event_id))
            await asyncio.sleep(1.0)
            await receiver.start()
            receiver.down = True  # up but answering 503 for a while
            batch = [status(claim_id, STATUSES[2]) for claim_id in claims]
            await consume(gateway_pool, batch)
            await consume(gateway_pool, batch)  # the same events again (a redelivered batch): nothing more owed
            for one in batch:
                sent[one.claim_id].append(str(one.event_id))
            await asyncio.sleep(1.0)
            receiver.down = False
            batch = [status(claim_id, STATUSES[3]) for claim_id in claims]
            await consume(gateway_pool, batch)
            for one in batch:
                sent[one.claim_id].append(str(one.event_id))

            async def all_delivered() -> bool:
                # Recorded too: a sender stopped between the 2xx and its commit would send that one again.
                undelivered = "SELECT count(*) FROM webhook_deliveries WHERE state <> 'delivered'"
                return len(receiver.by_id) == len(claims) * len(STATUSES) and not await gateway_pool.fetchval(
                    undelivered
                )

            await until(all_delivered)
        await receiver.stop()
    assert receiver.unverified == 0 and not receiver.duplicates
    assert dict(receiver.per_claim) == dict(sent)  # every status once, in order per claim
    journal = await gateway_pool.fetch(
        "SELECT a.http_status, a.error FROM webhook_attempts a JOIN webhook_deliveries d USING (delivery_id)"
    )
    assert {row["error"] for row in journal if row["error"]} >= {"ConnectError"}
    assert {row["http_status"] for row in journal} >= {503, 204}
    assert await gateway_pool.fetchval("SELECT count(*) FROM statuses") == len(claims) * len(STATUSES)
    assert await gateway_pool.fetchval("SELECT count(*) FROM webhook_deliveries WHERE state <> 'delivered'") == 0
    assert "not-for-logs" not in repr(logs)


async def test_statuses_are_kept_for_every_portal_but_owed_only_to_an_active_one_with_a_webhook(
    gateway_pool: asyncpg.Pool,
) -> None:
    await portal_with_claims(gateway_pool, "cci-hooked", "https://hooked.example/h", ["CFN-WH-HOOKED"])
    await portal_with_claims(gateway_pool, "cci-closed", "https://closed.example/h", ["CFN-WH-CLOSED"])
    await portal_with_claims(gateway_pool, "cci-quiet", "https://quiet.example/h", ["CFN-WH-QUIET"])
    async with gateway_pool.acquire() as conn:
        await conn.execute("UPDATE portals SET disabled_at = now() WHERE name = 'cci-closed'")
        await conn.execute("UPDATE portals SET webhook_url = NULL, webhook_secret = NULL WHERE name = 'cci-quiet'")
    await consume(gateway_pool, [status(c, "received") for c in ("CFN-WH-HOOKED", "CFN-WH-CLOSED", "CFN-WH-QUIET")])
    kept = await gateway_pool.fetch("SELECT claim_id FROM statuses ORDER BY seq")
    owed = await gateway_pool.fetch("SELECT portal, claim_id, state FROM webhook_deliveries")
    assert [row["claim_id"] for row in kept] == ["CFN-WH-HOOKED", "CFN-WH-CLOSED", "CFN-WH-QUIET"]
    assert [tuple(row) for row in owed] == [("cci-hooked", "CFN-WH-HOOKED", "pending")]
