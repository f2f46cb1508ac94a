"""Four eyes through the pages and the API: a pending decision sends nothing until a different supervisor
seconds it, then exactly one command leaves through the back-office's outbox."""

from __future__ import annotations

import json
import re
import uuid

import asyncpg
import httpx
import pytest

from guichet_backoffice import accounts, audit
from guichet_common.outbox import queued_messages
from guichet_common.topics import OPERATOR_COMMANDS, REVIEW_DECISIONS

from .conftest import TOPIC_PREFIX, Person, csrf_of

pytestmark = pytest.mark.integration
DECISION_ID = re.compile(r'action="/decisions/([0-9a-f-]{36})/seconder"')


async def _claim_under_review(pool: asyncpg.Pool, claim_id: str, reasons: list[str]) -> None:
    await pool.execute(
        "INSERT INTO claims (claim_id, programme, status, status_reasons, status_at)"
        " VALUES ($1, 'cheque-france-num-2021', 'under_review', $2, now())",
        claim_id,
        reasons,
    )


async def _commands(pool: asyncpg.Pool, topic: str) -> list[dict]:
    async with pool.acquire() as conn:
        return [json.loads(m.value) for m in await queued_messages(conn, TOPIC_PREFIX + topic)]


async def _post(client: httpx.AsyncClient, path: str, data: dict[str, str]) -> httpx.Response:
    page = await client.get("/jeton")  # any page carries the session's CSRF token
    return await client.post(path, data={**data, "csrf_token": csrf_of(page)})


async def test_an_approval_with_a_fraud_signal_waits_for_another_supervisor(pool, person: Person) -> None:
    await _claim_under_review(pool, "claim-fraud", ["INVOICE_REUSED"])
    alice, carl, sophie = (
        await person("alice", "caseworker"),
        await person("carl", "caseworker"),
        await person("sophie", "supervisor"),
    )
    taken = await _post(alice, "/demandes/claim-fraud/decision", {"decision": "approve", "reason": "Factures vues"})
    assert taken.status_code == 200 and "En attente" in taken.text
    assert await _commands(pool, REVIEW_DECISIONS.name) == []

    listed = await sophie.get("/decisions/en-attente")
    decision_id = DECISION_ID.search(listed.text).group(1)
    assert DECISION_ID.search((await alice.get("/decisions/en-attente")).text) is None  # no button on her own

    own = await _post(alice, f"/decisions/{decision_id}/seconder", {})
    assert own.status_code == 403 and "propre décision" in own.text
    assert (await _post(carl, f"/decisions/{decision_id}/seconder", {})).status_code == 403  # not a supervisor
    assert await _commands(pool, REVIEW_DECISIONS.name) == []

    seconded = await _post(sophie, f"/decisions/{decision_id}/seconder", {})
    assert seconded.status_code == 200 and "Transmise" in seconded.text
    again = await _post(sophie, f"/decisions/{decision_id}/seconder", {})
    assert again.status_code == 409

    [command] = await _commands(pool, REVIEW_DECISIONS.name)
    assert command["claim_id"] == "claim-fraud" and command["decision"] == "approve"
    assert command["decided_by"] == "alice" and command["seconded_by"] == "sophie"
    assert command["reason"] == "Factures vues"
    async with pool.acquire() as conn:
        trail = [(r.actor, r.action) for r in await audit.latest(conn, action=None, limit=20)]
    assert ("alice", "decision_taken") in trail and ("sophie", "decision_seconded") in trail

    await pool.execute(
        "INSERT INTO command_outcomes (command_id, service, outcome, detail, occurred_at)"
        " VALUES ($1, 'eligibility', 'refused', 'plus en revue', now())",
        uuid.UUID(command["event_id"]),
    )
    closed = await sophie.get("/decisions/en-attente")
    assert "refusée : plus en revue" in closed.text  # what eligibility answered, once its outcome arrives


async def test_a_decision_without_fraud_signal_leaves_at_once(pool, person: Person) -> None:
    await _claim_under_review(pool, "claim-plain", ["INVOICE_TOTAL_MISMATCH"])
    alice = await person("alice", "caseworker")
    answer = await _post(alice, "/demandes/claim-plain/decision", {"decision": "reject", "reason": "Incomplet"})
    assert answer.status_code == 200 and "Transmise" in answer.text
    assert (await _post(alice, "/demandes/unknown/decision", {"decision": "approve", "reason": "x"})).status_code == 409
    [command] = await _commands(pool, REVIEW_DECISIONS.name)
    assert command["decision"] == "reject" and "seconded_by" not in command


async def test_the_author_may_withdraw_a_pending_decision(pool, person: Person) -> None:
    await _claim_under_review(pool, "claim-iban", ["IBAN_SHARED"])
    alice = await person("alice", "caseworker")
    await _post(alice, "/demandes/claim-iban/decision", {"decision": "approve", "reason": "Vu"})
    decision_id = await pool.fetchval("SELECT id FROM decisions WHERE target = 'claim-iban'")
    withdrawn = await _post(alice, f"/decisions/{decision_id}/retirer", {})
    assert withdrawn.status_code == 200 and "Retirée" in withdrawn.text
    assert await _commands(pool, REVIEW_DECISIONS.name) == []


TEAM = (("sam", "supervisor"), ("tess", "supervisor"), ("cora", "caseworker"))


async def _token(pool: asyncpg.Pool, login: str, role: str) -> dict[str, str]:
    """An account (no web session: the API takes none) and its personal token, as an Authorization header."""
    async with pool.acquire() as conn, conn.transaction():
        await accounts.add(conn, login, role, by="tests")
        return {"authorization": "Bearer " + await accounts.issue_token(conn, login, "console", by=login)}


async def test_the_api_applies_the_same_rules_to_dead_letters_and_blocked_payments(pool) -> None:
    letter = f"{TOPIC_PREFIX}payments.settlements.v1.dlq:0:7"
    await pool.execute(
        "INSERT INTO dead_letters (dlq_topic, dlq_partition, dlq_offset, owner, original_topic, reason, value, headers,"
        " dead_lettered_at) VALUES ($1, 0, 7, 'payments', $2, 'bad', '\\x00', '\\x', now())",
        f"{TOPIC_PREFIX}payments.settlements.v1.dlq",
        f"{TOPIC_PREFIX}payments.settlements.v1",
    )
    await pool.execute(
        "INSERT INTO service_set_aside (service, kind, item_id, state, set_aside_at, state_at) VALUES"
        " ('payments', 'payment_attempt', 'pay-1', 'held', now(), now()),"
        " ('payments', 'sepa_batch', 'batch-1', 'held', now(), now())"
    )
    sam, tess, cora = [await _token(pool, login, role) for login, role in TEAM]
    async with _api(pool) as api:
        assert (await api.post(f"/api/v1/dead-letters/{letter}/replay", json={"reason": "x"})).status_code == 401
        assert (
            await api.post(f"/api/v1/dead-letters/{letter}/replay", json={"reason": "x"}, headers=cora)
        ).status_code == 403
        replay = (
            await api.post(f"/api/v1/dead-letters/{letter}/replay", json={"reason": "Corrigé"}, headers=sam)
        ).json()
        assert replay["state"] == "pending" and replay["service"] == "payments"
        assert (await api.post(f"/api/v1/decisions/{replay['id']}/second", headers=sam)).status_code == 403
        release = (
            await api.post(
                "/api/v1/set-aside/payments/payment_attempt/pay-1/release", json={"reason": "IBAN vérifié"}, headers=sam
            )
        ).json()
        assert release["state"] == "pending"
        batch = await api.post(
            "/api/v1/set-aside/payments/sepa_batch/batch-1/release", json={"reason": "ok"}, headers=sam
        )
        assert batch.json()["state"] == "complete"
        assert len(await _commands(pool, OPERATOR_COMMANDS["payments"].name)) == 1
        assert (await api.get("/api/v1/decisions", headers=cora)).json()["decisions"] == []  # none of hers
        pending = (await api.get("/api/v1/decisions", headers=tess)).json()["decisions"]
        assert {d["id"] for d in pending} == {replay["id"], release["id"]}
        for decision in pending:
            seconded = await api.post(f"/api/v1/decisions/{decision['id']}/second", headers=tess)
            assert seconded.json()["state"] == "complete" and seconded.json()["seconded_by"] == "tess"
    commands = await _commands(pool, OPERATOR_COMMANDS["payments"].name)
    assert sorted(c["action"] for c in commands) == ["dead_letter_replay", "set_aside_release", "set_aside_release"]
    replayed = next(c for c in commands if c["action"] == "dead_letter_replay")
    assert replayed["target"] == letter and replayed["requested_by"] == "sam" and replayed["seconded_by"] == "tess"


async def test_finance_settles_a_bank_entry_to_the_attempt_it_names_through_the_api(pool) -> None:
    await pool.execute(
        "INSERT INTO service_set_aside (service, kind, item_id, state, set_aside_at, state_at) VALUES"
        " ('payments', 'bank_entry', '0a1b2c3d4e5f6a7b-2', 'held', now(), now())"
    )
    fiona = await _token(pool, "fiona", "finance")
    path = "/api/v1/set-aside/payments/bank_entry/0a1b2c3d4e5f6a7b-2/release"
    async with _api(pool) as api:
        refused = await api.post(path, json={"reason": "x", "assign_to": ["P1:1"]}, headers=fiona)
        assert refused.status_code == 400
        settled = await api.post(path, json={"reason": "Retour du virement P1", "assign_to": "P1:1"}, headers=fiona)
        assert settled.status_code == 200 and settled.json()["state"] == "complete"
    [command] = await _commands(pool, OPERATOR_COMMANDS["payments"].name)
    assert (command["action"], command["kind"], command["target"]) == (
        "set_aside_release",
        "bank_entry",
        "0a1b2c3d4e5f6a7b-2",
    )
    assert (command["assign_to"], command["requested_by"]) == ("P1:1", "fiona")
    recorded = await pool.fetchval(
        "SELECT details FROM audit_trail WHERE action = 'decision_taken' AND actor = 'fiona'"
    )
    assert recorded["assign_to"] == "P1:1"


def _api(pool: asyncpg.Pool) -> httpx.AsyncClient:
    from types import SimpleNamespace

    from guichet_backoffice.web.app import create_web
    from guichet_common.db import PoolSlot

    from .conftest import settings

    slot = PoolSlot()
    slot.fill(pool)
    app = create_web(SimpleNamespace(settings=settings(), pool=slot))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")
