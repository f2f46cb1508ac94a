"""The demo's portal over HTTP: a claim counts as predicted when the history the gateway gives back ends with the
status and reasons the simulator expected, whatever came before (received, approved, payment_sent...)."""

from __future__ import annotations

import httpx
import pytest

from guichet_simulator import demo_gateway
from guichet_simulator.demo_gateway import HttpPortalRun
from guichet_simulator.generator import generate_claims


def _history(*changes: tuple[str, list[str]]) -> dict:
    return {
        "history": [
            {"status": status, "reasons": [{"code": code, "text": "…"} for code in codes]} for status, codes in changes
        ]
    }


async def test_claims_count_as_predicted_by_their_last_final_status(monkeypatch: pytest.MonkeyPatch) -> None:
    paid, refused, unknown, late = generate_claims(4, 11, run_id="http")
    answers = {
        paid.claim_id: _history(
            ("received", []),
            ("under_review", ["REGISTRY_NO_RECORD"]),  # then decided by a caseworker
            (paid.expected_status, list(paid.expected_reasons)),
        ),
        refused.claim_id: _history(("received", []), ("rejected", ["NOT_WHAT_THE_SIMULATOR_SAID"])),
        late.claim_id: _history(("received", [])),  # no final status yet
    }
    seen_keys = set()

    def gateway(request: httpx.Request) -> httpx.Response:
        seen_keys.add(request.headers["Authorization"])
        claim_id = request.url.path.rsplit("/", 1)[-1]
        return httpx.Response(200, json=answers[claim_id]) if claim_id in answers else httpx.Response(404)

    monkeypatch.setattr(
        demo_gateway,
        "_client",
        lambda url, key: httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {key}"}, transport=httpx.MockTransport(gateway)
        ),
    )
    run = HttpPortalRun(url="http://gateway.test/", accepted=[paid, refused, unknown, late])

    await demo_gateway.read_histories(run, "gw_key", timeout_s=0)

    assert run.as_predicted == 1
    assert seen_keys == {"Bearer gw_key"}
    assert run.summary_line().split()[:6] == ["gateway", "4", "claims", "over", "HTTP,", "1"]


def test_the_summary_says_why_no_claim_went_over_http() -> None:
    line = HttpPortalRun(not_used="the launcher started no gateway").summary_line()
    assert line.split() == ["gateway", "not", "used:", "the", "launcher", "started", "no", "gateway"]


async def test_the_receiver_keeps_signed_statuses_once_per_webhook_id_and_refuses_the_rest() -> None:
    import base64
    import datetime as dt
    import json
    import secrets

    from standardwebhooks import Webhook

    from guichet_simulator.demo_webhooks import WebhookReceiver

    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    receiver = WebhookReceiver(secret=secret)
    url = await receiver.start()

    async def deliver(webhook_id: str, event: dict, signing_secret: str) -> int:
        body = json.dumps(event)
        now = dt.datetime.now(dt.UTC)
        headers = {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(signing_secret).sign(webhook_id, now, body),
            "content-type": "application/json",
        }
        async with httpx.AsyncClient() as client:
            return (await client.post(url, content=body, headers=headers)).status_code

    try:
        assert await deliver("e1", {"claim_id": "CFN-1", "status": "received"}, secret) == 204
        assert await deliver("e1", {"claim_id": "CFN-1", "status": "received"}, secret) == 204  # a retry
        assert await deliver("e2", {"claim_id": "CFN-1", "status": "paid"}, secret) == 204
        other = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        assert await deliver("e3", {"claim_id": "CFN-1", "status": "refused"}, other) == 401
    finally:
        await receiver.stop()

    assert receiver.statuses_of("CFN-1") == ["received", "paid"]
    assert receiver.refused == 1
