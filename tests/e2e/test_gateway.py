"""The portals' HTTP door end to end (issue 17): a claim posted to the gateway travels the whole pipeline and its
history is read back over HTTP; the door is idempotent, keeps each portal to its own claims, and holds a portal to
its rate limit."""

from __future__ import annotations

import asyncio
import json
import secrets
import time

import httpx
import pytest

from guichet_simulator.generator import ClaimGenerator, SimulatedClaim

pytestmark = pytest.mark.e2e

PROBLEM_JSON = "application/problem+json"


def eligible_claim() -> SimulatedClaim:
    """A claim the programme approves, of a company of its own (its own SIREN, invoices and claim_id)."""
    return ClaimGenerator(secrets.randbits(32), run_id="GW" + secrets.token_hex(4), problem_share=0.0).next_claim()


async def register_company(stack, probe, claim: SimulatedClaim) -> None:
    """The registry record first, as the SIRENE feed delivers it long before a claim."""
    assert claim.registry_record is not None
    record = json.dumps(claim.registry_record).encode()
    await probe.publish(stack.topic("registry.companies.v1"), [(claim.siren.encode(), record)])


async def history_until(
    client: httpx.AsyncClient, claim_id: str, headers: dict[str, str], status: str, timeout_s: float = 120.0
) -> dict:
    """GET /v1/claims/{id} until its history holds `status` (or the timeout: the last answer, for the message)."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = await client.get(f"/v1/claims/{claim_id}", headers=headers)
        assert answer.status_code == 200, answer.text
        history = answer.json()
        if status in statuses_in(history) or time.monotonic() > deadline:
            return history
        await asyncio.sleep(0.5)


def statuses_in(history: dict) -> list[str]:
    return [entry["status"] for entry in history["history"]]


async def submitted_records(stack, probe, claim_id: str, at_least: int, timeout_s: float = 20.0) -> list[dict]:
    """The claims.submitted.v1 events of `claim_id` on the stack's topic (waits until `at_least` are there)."""
    topic = stack.topic("claims.submitted.v1")

    def mine(records) -> list[dict]:
        # Other tests on the shared stack publish hostile records there: match the claim_id before parsing.
        return [json.loads(r.value) for r in records if r.value and claim_id.encode() in r.value]

    return mine(await probe.read_until(topic, lambda rs: len(mine(rs)) >= at_least, timeout_s=timeout_s))


async def test_a_claim_posted_over_http_is_paid_and_its_history_read_back_with_reasons_as_codes_and_texts(
    stack, probe, gateway
) -> None:
    portal = await gateway.add_portal("alpha")
    claim = eligible_claim()
    await register_company(stack, probe, claim)
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10.0) as client:
        answer = await client.post("/v1/claims", json=claim.event["claim"], headers=portal.headers)
        assert answer.status_code == 202, answer.text
        accepted = answer.json()
        assert accepted["claim_id"] == claim.claim_id
        assert answer.headers["location"].endswith(f"/v1/claims/{claim.claim_id}")
        assert accepted["status_url"].endswith(f"/v1/claims/{claim.claim_id}")

        history = await history_until(client, claim.claim_id, portal.headers, "payment_sent")
        english = await client.get(f"/v1/claims/{claim.claim_id}", headers=portal.headers | {"Accept-Language": "en"})
    assert statuses_in(history) == ["received", "approved", "payment_scheduled", "payment_sent"], history
    assert history["status"] == "payment_sent"
    for entry in history["history"]:
        assert all(set(reason) >= {"code", "text"} for reason in entry["reasons"]), entry

    # Published once, under the gateway's event id, with the portal's name as its source.
    [event] = await submitted_records(stack, probe, claim.claim_id, at_least=1)
    assert event["event_id"] == accepted["event_id"]
    assert event["source"] == portal.name
    assert event["claim"] == claim.event["claim"]
    assert statuses_in(english.json()) == statuses_in(history)


async def test_a_rejected_claims_reasons_come_as_codes_with_a_text_in_the_requests_language(
    stack, probe, gateway
) -> None:
    portal = await gateway.add_portal("alpha")
    claim = eligible_claim()
    body = claim.event["claim"] | {"applicant": claim.event["claim"]["applicant"] | {"headcount": 14}}
    await register_company(stack, probe, claim)
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10.0) as client:
        assert (await client.post("/v1/claims", json=body, headers=portal.headers)).status_code == 202
        french = await history_until(client, claim.claim_id, portal.headers, "rejected")
        english = await client.get(f"/v1/claims/{claim.claim_id}", headers=portal.headers | {"Accept-Language": "en"})
    [rejected] = [entry for entry in french["history"] if entry["status"] == "rejected"]
    [english_rejected] = [entry for entry in english.json()["history"] if entry["status"] == "rejected"]
    assert [reason["code"] for reason in rejected["reasons"]] == ["HEADCOUNT_TOO_HIGH"], rejected
    assert [reason["code"] for reason in english_rejected["reasons"]] == ["HEADCOUNT_TOO_HIGH"]
    assert rejected["reasons"][0]["text"] and english_rejected["reasons"][0]["text"]
    assert rejected["reasons"][0]["text"] != english_rejected["reasons"][0]["text"]


async def test_posting_the_same_claim_again_returns_the_first_answer_and_publishes_nothing(
    stack, probe, gateway
) -> None:
    portal = await gateway.add_portal("alpha")
    claim = eligible_claim()
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10.0) as client:
        first = await client.post("/v1/claims", json=claim.event["claim"], headers=portal.headers)
        assert first.status_code == 202, first.text
        assert len(await submitted_records(stack, probe, claim.claim_id, at_least=1)) == 1
        # The same claim, its keys in another order: the same body, as canonical JSON says.
        reordered = dict(reversed(list(claim.event["claim"].items())))
        again = [await client.post("/v1/claims", json=reordered, headers=portal.headers) for _ in range(3)]
    for answer in again:
        assert answer.status_code == first.status_code
        assert answer.json() == first.json()
        assert answer.headers["location"] == first.headers["location"]
    await asyncio.sleep(2.0)  # the outbox relay publishes within a fraction of a second: give it time to misbehave
    assert len(await submitted_records(stack, probe, claim.claim_id, at_least=2, timeout_s=3.0)) == 1


async def test_another_body_under_the_same_claim_id_is_a_conflict_as_problem_json(gateway) -> None:
    portal = await gateway.add_portal("alpha")
    claim = eligible_claim()
    changed = claim.event["claim"] | {"bank_account": claim.event["claim"]["bank_account"] | {"holder_name": "AUTRE"}}
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10.0) as client:
        assert (await client.post("/v1/claims", json=claim.event["claim"], headers=portal.headers)).status_code == 202
        french = await client.post("/v1/claims", json=changed, headers=portal.headers)
        english = await client.post("/v1/claims", json=changed, headers=portal.headers | {"Accept-Language": "en"})
    for answer in (french, english):
        assert answer.status_code == 409, answer.text
        assert answer.headers["content-type"].startswith(PROBLEM_JSON)
        problem = answer.json()
        assert problem["status"] == 409 and problem["code"] == "CLAIM_ID_CONFLICT"
        assert problem["type"] and problem["title"] and problem["detail"]
    assert french.json()["title"] != english.json()["title"]


async def test_a_portal_cannot_read_nor_change_another_portals_claim(stack, probe, gateway) -> None:
    alpha, beta = await gateway.add_portal("alpha"), await gateway.add_portal("beta")
    claim = eligible_claim()
    new_account = {"iban": "FR7630006000011234567890189", "holder_name": "BETA NE PEUT PAS"}
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10.0) as client:
        assert (await client.post("/v1/claims", json=claim.event["claim"], headers=alpha.headers)).status_code == 202
        unknown = await client.get("/v1/claims/CFN-NOBODY-" + secrets.token_hex(4), headers=beta.headers)
        read = await client.get(f"/v1/claims/{claim.claim_id}", headers=beta.headers)
        changed = await client.post(f"/v1/claims/{claim.claim_id}/bank-details", json=new_account, headers=beta.headers)
        taken = await client.post("/v1/claims", json=claim.event["claim"], headers=beta.headers)
        own = await client.get(f"/v1/claims/{claim.claim_id}", headers=alpha.headers)
    assert own.status_code == 200
    # Not found, exactly as for a claim that does not exist: beta cannot even learn that the claim_id is taken.
    for answer in (read, changed):
        assert answer.status_code == 404, answer.text
        assert answer.headers["content-type"].startswith(PROBLEM_JSON)
        assert answer.json()["code"] == unknown.json()["code"] == "NOT_FOUND"
    assert taken.status_code == 409
    await asyncio.sleep(1.0)
    bank_details = await probe.read_until(stack.topic("claims.bank-details.v1"), lambda rs: False, timeout_s=2)
    assert not [r for r in bank_details if r.value and claim.claim_id.encode() in r.value]


def bearer(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


def console_portal(stack, *args: str) -> dict:
    """`guichet portals ARGS --json` against the stack's gateway database, as an operator runs it."""
    done = stack.console("portals", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_a_portal_over_its_rate_limit_gets_429_with_retry_after(stack, gateway) -> None:
    name = "slow-" + secrets.token_hex(3)
    added = console_portal(stack, "add", name, "--rate-limit", "3")
    assert added["portal"] == name
    slow = bearer(added["api_key"])
    other = await gateway.add_portal("other")
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10.0) as client:
        answers = [await client.get("/v1/reason-codes", headers=slow) for _ in range(5)]
        others = await client.get("/v1/reason-codes", headers=other.headers)
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    limited = answers[-1]
    assert limited.headers["content-type"].startswith(PROBLEM_JSON)
    assert limited.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert others.status_code == 200  # the limit is the portal's own


async def test_a_request_without_a_valid_key_a_rotated_key_or_a_disabled_portals_key_is_401(stack, gateway) -> None:
    rotated, disabled = await gateway.add_portal("rotated"), await gateway.add_portal("disabled")
    new_key = console_portal(stack, "rotate-key", rotated.name)["api_key"]
    done = stack.console("portals", "disable", disabled.name)
    assert done.returncode == 0, done.stderr
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10.0) as client:
        missing = await client.get("/v1/reason-codes")
        forged = await client.get(
            "/v1/reason-codes", headers={"Authorization": f"Bearer gw_{secrets.token_hex(8)}_{'x' * 43}"}
        )
        old_key = await client.get("/v1/reason-codes", headers=rotated.headers)
        current_key = await client.get("/v1/reason-codes", headers=bearer(new_key))
        off = await client.get("/v1/reason-codes", headers=disabled.headers)
    assert current_key.status_code == 200
    for answer in (missing, forged, old_key, off):
        assert answer.status_code == 401
        assert answer.headers["content-type"].startswith(PROBLEM_JSON)
        assert answer.json()["code"] == "UNAUTHORIZED"
