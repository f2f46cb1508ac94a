"""The /v1 API on the gateway's real PostgreSQL (the app in process, through httpx's ASGI transport): what a portal
posts is recorded and queued in the outbox in one transaction, once; another portal's claims are not found."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from guichet_common.contracts import EXAMPLES
from guichet_common.contracts.reason_codes import catalogue
from guichet_common.db import PoolSlot
from guichet_common.settings import CommonSettings
from guichet_gateway import portals
from guichet_gateway.digests import digest_key
from guichet_gateway.http.app import build_api
from guichet_gateway.http.context import ApiContext
from guichet_gateway.unit_of_work import GatewayUnitOfWork

pytestmark = pytest.mark.integration
EXAMPLE_CLAIM = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text())["claim"]
NOW = dt.datetime(2026, 12, 3, 14, 0, tzinfo=dt.UTC)
CLAIM_ID = EXAMPLE_CLAIM["claim_id"]
BANK_DETAILS = {"iban": "FR7630006000011234567890189", "holder_name": "BOUTIQUE MARTIN MODE"}


@pytest.fixture
async def api(gateway_pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    slot = PoolSlot()
    slot.fill(gateway_pool)
    app = build_api(
        ApiContext(slot, lambda: GatewayUnitOfWork, "t.", 4096, 600, digest_key(CommonSettings().master_key()))
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client


async def portal(pool: asyncpg.Pool, name: str, rate_limit: int | None = None) -> dict[str, str]:
    async with pool.acquire() as conn:
        key = await portals.add_portal(conn, name, rate_limit_per_minute=rate_limit, now=NOW)
    return {"Authorization": f"Bearer {key.api_key}"}


async def outbox(pool: asyncpg.Pool) -> list[tuple[str, bytes, dict[str, Any]]]:
    rows = await pool.fetch("SELECT topic, key, value FROM outbox ORDER BY id")
    return [(row["topic"], row["key"], json.loads(row["value"])) for row in rows]


async def test_a_claim_is_queued_once_and_the_same_post_gets_the_first_answer(api, gateway_pool) -> None:
    alpha = await portal(gateway_pool, "alpha")
    first = await api.post("/v1/claims", json=EXAMPLE_CLAIM, headers=alpha)
    again = await api.post(
        "/v1/claims",
        content=json.dumps(EXAMPLE_CLAIM, indent=2),
        headers={**alpha, "Content-Type": "application/json; charset=utf-8"},
    )

    assert first.status_code == again.status_code == 202
    assert first.headers["location"] == f"/v1/claims/{CLAIM_ID}" == first.json()["status_url"]
    assert again.json() == first.json()
    [(topic, key, event)] = await outbox(gateway_pool)
    assert (topic, key) == ("t.claims.submitted.v1", EXAMPLE_CLAIM["applicant"]["siren"].encode())
    assert (event["source"], event["event_id"], event["claim"]) == ("alpha", first.json()["event_id"], EXAMPLE_CLAIM)


async def test_concurrent_first_posts_of_one_claim_publish_it_once(api, gateway_pool) -> None:
    alpha = await portal(gateway_pool, "alpha")
    answers = await asyncio.gather(*(api.post("/v1/claims", json=EXAMPLE_CLAIM, headers=alpha) for _ in range(5)))

    assert {answer.status_code for answer in answers} == {202}
    assert len({answer.json()["event_id"] for answer in answers}) == 1
    assert len(await outbox(gateway_pool)) == 1


async def test_another_body_or_another_portal_under_a_taken_claim_id_is_409(api, gateway_pool) -> None:
    alpha, beta = await portal(gateway_pool, "alpha"), await portal(gateway_pool, "beta")
    await api.post("/v1/claims", json=EXAMPLE_CLAIM, headers=alpha)
    changed = await api.post("/v1/claims", json={**EXAMPLE_CLAIM, "programme": "other"}, headers=alpha)
    stolen = await api.post("/v1/claims", json=EXAMPLE_CLAIM, headers={**beta, "Accept-Language": "en"})

    assert (changed.status_code, changed.headers["content-type"]) == (409, "application/problem+json")
    assert changed.json()["code"] == stolen.json()["code"] == "CLAIM_ID_CONFLICT"
    assert (stolen.status_code, stolen.json()["title"]) == (409, "Claim id already taken")
    assert "alpha" not in stolen.text
    assert len(await outbox(gateway_pool)) == 1


async def test_bank_details_are_queued_once_per_body_for_the_portals_own_claim(api, gateway_pool) -> None:
    alpha, beta = await portal(gateway_pool, "alpha"), await portal(gateway_pool, "beta")
    await api.post("/v1/claims", json=EXAMPLE_CLAIM, headers=alpha)
    url = f"/v1/claims/{CLAIM_ID}/bank-details"
    first = await api.post(url, json=BANK_DETAILS, headers=alpha)
    again = await api.post(url, json=BANK_DETAILS, headers=alpha)
    foreign = await api.post(url, json=BANK_DETAILS, headers=beta)
    unknown = await api.post("/v1/claims/UNKNOWN-00001/bank-details", json=BANK_DETAILS, headers=alpha)

    assert (first.status_code, again.json()) == (202, first.json())
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["code"] == "NOT_FOUND"
    topic, key, event = (await outbox(gateway_pool))[-1]
    assert (topic, key, event["claim_id"], event["iban"]) == (
        "t.claims.bank-details.v1",
        CLAIM_ID.encode(),
        CLAIM_ID,
        BANK_DETAILS["iban"],
    )
    assert event["event_id"] == first.json()["event_id"]
    assert len(await outbox(gateway_pool)) == 2


async def test_the_history_shows_each_status_with_its_reasons_in_the_asked_language(api, gateway_pool) -> None:
    alpha, beta = await portal(gateway_pool, "alpha"), await portal(gateway_pool, "beta")
    await api.post("/v1/claims", json=EXAMPLE_CLAIM, headers=alpha)
    empty = (await api.get(f"/v1/claims/{CLAIM_ID}", headers=alpha)).json()
    for status, reasons in (("received", []), ("rejected", ["SIREN_INVALID"])):
        event = {
            "event_id": str(uuid.uuid4()),
            "occurred_at": NOW.isoformat(),
            "claim_id": CLAIM_ID,
            "programme": "p",
            "status": status,
            "reasons": reasons,
        }
        await gateway_pool.execute(
            "INSERT INTO statuses (event_id, claim_id, status, occurred_at, payload) VALUES ($1, $2, $3, $4, $5)",
            uuid.UUID(event["event_id"]),
            CLAIM_ID,
            status,
            NOW,
            event,
        )
    french = await api.get(f"/v1/claims/{CLAIM_ID}", headers=alpha)
    english = await api.get(f"/v1/claims/{CLAIM_ID}", headers={**alpha, "Accept-Language": "en"})

    assert (empty["status"], empty["history"]) == (None, [])
    assert french.status_code == 200 and french.json()["status"] == "rejected"
    assert [change["status"] for change in french.json()["history"]] == ["received", "rejected"]
    [reason] = french.json()["history"][1]["reasons"]
    [reason_en] = english.json()["history"][1]["reasons"]
    siren_invalid = catalogue()["SIREN_INVALID"]
    assert reason == {"code": "SIREN_INVALID", "text": siren_invalid.text_fr}
    assert reason_en == {"code": "SIREN_INVALID", "text": siren_invalid.text_en}
    assert (await api.get(f"/v1/claims/{CLAIM_ID}", headers=beta)).status_code == 404


async def test_keys_that_are_missing_wrong_rotated_or_of_a_disabled_portal_are_401(api, gateway_pool) -> None:
    alpha = await portal(gateway_pool, "alpha")
    async with gateway_pool.acquire() as conn:
        old, beta_key = alpha, await portals.add_portal(conn, "beta", now=NOW)
        new = {"Authorization": f"Bearer {(await portals.rotate_key(conn, 'alpha', NOW)).api_key}"}
        await portals.disable_portal(conn, "beta", NOW)
    refused = [
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": old["Authorization"][:-1] + "x"},
        old,
        {"Authorization": f"Bearer {beta_key.api_key}"},
    ]
    for headers in refused:
        answer = await api.get("/v1/reason-codes", headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (401, "UNAUTHORIZED"), headers.keys()
        assert answer.headers["www-authenticate"] == "Bearer"
    listed = await api.get("/v1/reason-codes", headers=new)
    assert listed.status_code == 200
    assert [entry["code"] for entry in listed.json()["reason_codes"]] == sorted(catalogue())


async def test_a_portal_over_its_rate_limit_gets_429_with_retry_after(api, gateway_pool) -> None:
    slow, other = await portal(gateway_pool, "slow", rate_limit=2), await portal(gateway_pool, "other")
    answers = [(await api.get("/v1/reason-codes", headers=slow)).status_code for _ in range(3)]
    over = await api.get("/v1/reason-codes", headers=slow)

    assert answers == [200, 200, 429]
    assert over.json()["code"] == "RATE_LIMITED" and 1 <= int(over.headers["retry-after"]) <= 60
    assert (await api.get("/v1/reason-codes", headers=other)).status_code == 200


@pytest.mark.parametrize(
    "method, path, content, content_type, status, code",
    [
        ("POST", "/v1/claims", b"{" + b" " * 5000 + b"}", "application/json", 413, "BODY_TOO_LARGE"),
        ("POST", "/v1/claims", b"{}", "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("POST", "/v1/claims", b"{", "application/json", 400, "BODY_NOT_JSON"),
        ("POST", "/v1/claims", b'{"claim_id": 1}', "application/json", 422, "SCHEMA_INVALID"),
        ("GET", "/v1/claims/%00", b"", "", 422, "SCHEMA_INVALID"),
        ("GET", "/v1/nowhere", b"", "", 404, "NOT_FOUND"),
        ("DELETE", "/v1/claims", b"", "", 405, "METHOD_NOT_ALLOWED"),
    ],
)
async def test_hostile_requests_get_problems_not_server_errors(
    api, gateway_pool, method, path, content, content_type, status, code
) -> None:
    headers = {**await portal(gateway_pool, "alpha"), "Content-Type": content_type}
    answer = await api.request(method, path, content=content, headers=headers)

    assert (answer.status_code, answer.headers["content-type"]) == (status, "application/problem+json")
    assert (answer.json()["status"], answer.json()["code"]) == (status, code)
    assert answer.headers.get("allow", "POST") == "POST"
    assert await outbox(gateway_pool) == []
