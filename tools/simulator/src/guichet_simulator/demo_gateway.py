"""`make demo` as a portal over HTTP too (issue 17): a demo portal added through the gateway's operators' door, with a
webhook to a receiver of the demo's own, a handful of the simulator's claims posted to GATEWAY_URL/v1/claims with its
key, and, once the run is over, their status histories read back from GET /v1/claims/{id}, held against what the
simulator predicted and against the signed webhooks the receiver got.

The key and the webhook secret are kept in memory only: never printed, never logged. A claim the gateway does not
take (or every claim, when the gateway cannot be reached) goes to Kafka with the others, so the run's figures and
exit code do not depend on the HTTP door.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from guichet_simulator.demo_webhooks import WebhookReceiver
from guichet_simulator.generator import SimulatedClaim
from guichet_simulator.publisher import REGISTRY_TOPIC, kafka_producer, publish_registry_records, topic_prefix
from guichet_simulator.watch import FINAL_STATUSES

HTTP_CLAIMS = 5
PORTAL = "demo-portal"


@dataclass
class HttpPortalRun:
    """What went through the gateway: the claims it accepted, and how many ended as the simulator predicted."""

    url: str = ""
    accepted: list[SimulatedClaim] = field(default_factory=list)
    as_predicted: int = 0
    not_used: str = ""  # why no claim went over HTTP
    webhooks: WebhookReceiver = field(default_factory=WebhookReceiver)
    webhooks_as_history: int = 0  # claims whose webhooks were their history's statuses, in the same order

    def summary_line(self) -> str:
        if self.not_used:
            return f"  gateway                   not used: {self.not_used}"
        return (
            f"  gateway                   {len(self.accepted):>8}   claims over HTTP, {self.as_predicted} of them "
            "with the predicted final status in their history (GET /v1/claims/{id})"
        )

    def webhooks_line(self) -> str:
        if self.not_used:
            return ""
        received, refused = len(self.webhooks.statuses), self.webhooks.refused
        return (
            f"  webhooks                  {received:>8}   signed, received for them: {self.webhooks_as_history} of "
            f"{len(self.accepted)} claims told their whole history, in order"
            + (f" ({refused} with a bad signature)" if refused else "")
        )


async def post_over_http(
    infra: Any, gateway_url: str, claims: Sequence[SimulatedClaim], count: int = HTTP_CLAIMS
) -> tuple[HttpPortalRun, list[SimulatedClaim], str]:
    """Posts the first `count` claims to the gateway as the demo portal (their registry records first, on Kafka as
    the registry publishes them); returns the run, the claims left for Kafka (every one the gateway did not take),
    and the portal's key."""
    run = HttpPortalRun(url=gateway_url)
    if not gateway_url:
        run.not_used = "the launcher started no gateway"
        return run, list(claims), ""
    chosen, key = list(claims[:count]), ""
    try:
        await _until_ready(gateway_url)
        webhook_url = await run.webhooks.start()
        key, run.webhooks.secret = await _demo_portal(infra.database_urls["gateway"], webhook_url)
        records = [c.registry_record for c in chosen if c.registry_record is not None]
        async with kafka_producer(infra.kafka_bootstrap) as producer:
            await publish_registry_records(producer, records, topic=topic_prefix() + REGISTRY_TOPIC)
        await _post(gateway_url, key, chosen, run)
    except (OSError, httpx.HTTPError, asyncpg.PostgresError, TimeoutError) as error:
        if not run.accepted:
            run.not_used = f"{type(error).__name__} ({error})"[:200]
    over_http = {claim.claim_id for claim in run.accepted}
    return run, [claim for claim in claims if claim.claim_id not in over_http], key


async def read_histories(run: HttpPortalRun, key: str, timeout_s: float = 30.0) -> None:
    """Counts the accepted claims whose history, as the gateway tells it, ends as the simulator predicted (status
    and reasons), and those whose webhooks carried that history's statuses in its order. The gateway reads the
    statuses from Kafka on its own and sends webhooks after: give it a little time to catch up."""
    try:
        if not run.accepted:
            return
        deadline = time.monotonic() + timeout_s
        async with _client(run.url, key) as client:
            while True:
                histories = [await _history(client, claim.claim_id) for claim in run.accepted]
                told = [run.webhooks.statuses_of(claim.claim_id) for claim in run.accepted]
                done = all(_final(h) for h in histories) and told == [[c["status"] for c in h] for h in histories]
                if done or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
        run.as_predicted = sum(
            1
            for claim, history in zip(run.accepted, histories, strict=True)
            if _final(history) == (claim.expected_status, claim.expected_reasons)
        )
        run.webhooks_as_history = sum(
            1 for history, statuses in zip(histories, told, strict=True) if [c["status"] for c in history] == statuses
        )
    finally:
        await run.webhooks.stop()


async def _post(url: str, key: str, claims: list[SimulatedClaim], run: HttpPortalRun) -> None:
    async with _client(url, key) as client:
        for claim in claims:
            if (await client.post("v1/claims", json=claim.event["claim"])).status_code == 202:
                run.accepted.append(claim)
    if not run.accepted:
        run.not_used = "the gateway accepted none of the claims posted"


async def _history(client: httpx.AsyncClient, claim_id: str) -> list[dict]:
    response = await client.get(f"v1/claims/{claim_id}")
    return list(response.json()["history"]) if response.status_code == 200 else []


def _final(history: list[dict]) -> tuple[str, tuple[str, ...]] | None:
    """The last final status of a history (a claim under review may be decided later), with its reason codes."""
    finals = [change for change in history if change["status"] in FINAL_STATUSES]
    if not finals:
        return None
    return finals[-1]["status"], tuple(reason["code"] for reason in finals[-1]["reasons"])


def _client(url: str, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=10.0)


async def _demo_portal(database_url: str, webhook_url: str) -> tuple[str, str]:
    """The demo portal's key and webhook secret: the portal is added on the first demo, and given a new key on the
    next ones (the previous one was never kept); its webhook points at this run's receiver."""
    from guichet_gateway import operators  # the gateway's door for operators, as the console uses it

    now = dt.datetime.now(dt.UTC)
    connection = await asyncpg.connect(database_url)
    try:
        try:
            async with connection.transaction():
                key = (await operators.add_portal(connection, PORTAL, now=now)).api_key
        except operators.PortalError:  # added by an earlier demo on this stack
            async with connection.transaction():
                key = (await operators.rotate_key(connection, PORTAL, now=now)).api_key
        async with connection.transaction():  # the launcher's stack allows http to loopback (LOCAL_DEFAULTS)
            secret = await operators.set_webhook(connection, PORTAL, webhook_url, allow_http_loopback=True, now=now)
        return key, secret
    finally:
        await connection.close()


async def _until_ready(url: str, timeout_s: float = 90.0) -> None:
    """Until the gateway answers /readyz: its migrations ran, so its portals table exists."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=url, timeout=3.0) as client:
        while True:
            try:
                if (await client.get("readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the gateway at {url} is not ready after {timeout_s:.0f} s")
            await asyncio.sleep(0.5)
