"""Signed status webhooks end to end (issue 17): a portal's receiver, written here and checking every signature with
the Standard Webhooks library, gets each status of the claims the portal posted over HTTP exactly once per event
id and in order per claim, across an outage of its own.

The stack's gateway retries on a schedule of seconds (the root conftest's GATEWAY_WEBHOOK_RETRY_*), so an outage of
OUTAGE_S seconds here stands for one of hours in production: each waiting delivery is retried many times over, with
the statuses behind it held back in order. GUICHET_E2E_WEBHOOK_OUTAGE_S lengthens it (a run of several minutes)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from guichet_deploy.procs import free_port
from guichet_simulator.generator import ClaimGenerator, SimulatedClaim

OUTAGE_S = float(os.environ.get("GUICHET_E2E_WEBHOOK_OUTAGE_S", "20"))
# A longer outage gets a longer timeout than the suite's 300 s.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(max(300, OUTAGE_S + 240))]
FINAL = "payment_sent"


@dataclass
class Receiver:
    """A portal's webhook endpoint: answers 503 while down, 400 to a bad signature, 204 to a good one."""

    secret: str = ""
    up: bool = True
    accepted: list[tuple[str, dict]] = field(default_factory=list)  # (webhook-id, body), in arrival order
    refused_while_down: int = 0
    bad_signatures: list[str] = field(default_factory=list)

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        if not self.up:
            self.refused_while_down += 1
            return Response(status_code=503)
        try:
            payload = Webhook(self.secret).verify(body, dict(request.headers))
        except WebhookVerificationError as error:
            self.bad_signatures.append(str(error))
            return Response(status_code=400)
        self.accepted.append((request.headers["webhook-id"], payload))
        return Response(status_code=204)

    def of_claim(self, claim_id: str) -> list[tuple[str, str]]:
        """(webhook-id, status) of one claim, in the order they were accepted."""
        return [(webhook_id, body["status"]) for webhook_id, body in self.accepted if body["claim_id"] == claim_id]


@contextlib.asynccontextmanager
async def serving(receiver: Receiver) -> AsyncIterator[str]:
    """The receiver on a free loopback port (uvicorn, in this test's event loop); yields its URL."""
    port = free_port()
    app = Starlette(routes=[Route("/hooks/guichet", receiver.endpoint, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the receiver did not start"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/hooks/guichet"
    finally:
        server.should_exit = True
        await task


def eligible_claims(count: int) -> list[SimulatedClaim]:
    return ClaimGenerator(secrets.randbits(32), run_id="WH" + secrets.token_hex(4), problem_share=0.0).claims(count)


async def post_claims(stack, probe, client: httpx.AsyncClient, portal, claims: list[SimulatedClaim]) -> None:
    records = [(c.siren.encode(), json.dumps(c.registry_record).encode()) for c in claims]
    await probe.publish(stack.topic("registry.companies.v1"), records)
    for claim in claims:
        answer = await client.post("/v1/claims", json=claim.event["claim"], headers=portal.headers)
        assert answer.status_code == 202, answer.text


async def until(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"{what} after {timeout_s} s"
        await asyncio.sleep(0.2)


async def test_every_status_reaches_the_receiver_once_per_event_id_in_order_across_its_outage(
    stack, probe, gateway
) -> None:
    portal = await gateway.add_portal("hooks")
    receiver = Receiver()
    claims = eligible_claims(6)
    before, during = claims[:3], claims[3:]
    async with serving(receiver) as url, httpx.AsyncClient(base_url=gateway.url, timeout=10.0) as client:
        receiver.secret = await gateway.set_webhook(portal, url)

        await post_claims(stack, probe, client, portal, before)
        await until(lambda: all(receiver.of_claim(c.claim_id) for c in before), 90, "no webhook for a first claim")

        # Down mid-way: the first claims' later statuses and all of the next claims' wait, retried, in order.
        receiver.up = False
        await post_claims(stack, probe, client, portal, during)
        await asyncio.sleep(OUTAGE_S)
        assert receiver.refused_while_down > 0, "nothing was sent while the receiver was down"
        receiver.up = True

        reached_final = lambda: all(FINAL in dict(receiver.of_claim(c.claim_id)).values() for c in claims)  # noqa: E731
        await until(reached_final, 120, "not every claim's final status arrived")
        await asyncio.sleep(2.0)  # a duplicate or a straggler, if any, would come right behind
        histories = {
            c.claim_id: (await client.get(f"/v1/claims/{c.claim_id}", headers=portal.headers)).json() for c in claims
        }

    assert not receiver.bad_signatures
    duplicates = [webhook_id for webhook_id, n in Counter(w for w, _ in receiver.accepted).items() if n > 1]
    assert not duplicates, f"delivered more than once: {duplicates}"
    for webhook_id, body in receiver.accepted:
        assert body["event_id"] == webhook_id  # the stable id a receiver deduplicates by
        assert body["source"] == portal.name
    for claim in claims:
        history = [(entry["event_id"], entry["status"]) for entry in histories[claim.claim_id]["history"]]
        assert receiver.of_claim(claim.claim_id) == history, claim.claim_id
        assert [status for _, status in history] == ["received", "approved", "payment_scheduled", FINAL]
    assert {body["claim_id"] for _, body in receiver.accepted} == {c.claim_id for c in claims}

    # The operators' journal (`guichet portals deliveries`) has every delivery delivered, and the outage's 503s.
    shown = stack.console("portals", "deliveries", portal.name, "--limit", "1000", "--json")
    assert shown.returncode == 0, shown.stderr
    journal = json.loads(shown.stdout)["deliveries"]
    assert len(journal) == len(receiver.accepted)
    assert {one["state"] for one in journal} == {"delivered"}
    answers = Counter(attempt["http_status"] for one in journal for attempt in one["journal"])
    assert answers[503] == receiver.refused_while_down and answers[204] == len(receiver.accepted), answers
