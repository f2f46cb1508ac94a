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
