"""Control decisions through the JSON API on a real PostgreSQL: a supervisor opens a campaign (one command at once,
keyed by its new id); a caseworker's non-compliant outcome waits, its author cannot second it, and a different
supervisor's second sends exactly one ControlDecisionV1 to payments, with its terms in the audit trail."""

from __future__ import annotations

import json
import re

import asyncpg
import pytest

from guichet_backoffice import accounts, audit
from guichet_common.contracts.controls import ControlDecisionV1
from guichet_common.outbox import queued_messages
from guichet_common.topics import CONTROL_DECISIONS

from .conftest import TOPIC_PREFIX
from .test_four_eyes import _api

pytestmark = pytest.mark.integration
TEAM = (("sam", "supervisor"), ("tess", "supervisor"), ("cora", "caseworker"), ("fred", "finance"))


async def _token(pool: asyncpg.Pool, login: str, role: str) -> dict[str, str]:
    async with pool.acquire() as conn, conn.transaction():
        await accounts.add(conn, login, role, by="tests")
        return {"authorization": "Bearer " + await accounts.issue_token(conn, login, "console", by=login)}


async def _sent(pool: asyncpg.Pool) -> list[tuple[bytes | None, ControlDecisionV1]]:
    async with pool.acquire() as conn:
        messages = await queued_messages(conn, TOPIC_PREFIX + CONTROL_DECISIONS.name)
    return [(m.key, ControlDecisionV1.model_validate_json(m.value)) for m in messages]


async def _under_control(pool: asyncpg.Pool, claim_id: str) -> None:
    await pool.execute(
        "INSERT INTO controls (claim_id, campaign_id, programme, siren, payment_id, paid_cents, grounds, reply_by,"
        " selected_at) VALUES ($1, 'C-20261203-0a1b2c3d', 'cheque-france-num-2021', '732829320', 'P-1', 150000,"
        " '{CONTROL_SAMPLED}', '2026-12-31', now())",
        claim_id,
    )


async def test_a_campaign_is_opened_by_a_supervisor_and_sent_at_once(pool: asyncpg.Pool) -> None:
    sam, _, cora, _ = [await _token(pool, login, role) for login, role in TEAM]
    body = {"programme": "cheque-france-num-2021", "seed": 12345, "paid_before": "2026-11-30", "reason": "Campagne T4"}
    async with _api(pool) as api:
        refused = await api.post("/api/v1/controls/campaigns", json=body, headers=cora)
        assert refused.status_code == 403 and await _sent(pool) == []
        opened = await api.post("/api/v1/controls/campaigns", json=body, headers=sam)
    assert opened.status_code == 200, opened.text
    decision = opened.json()
    assert decision["state"] == "complete" and decision["action"] == "control_open" and decision["seed"] == 12345
    assert (
        re.fullmatch(r"C-\d{8}-[0-9a-f]{8}", decision["campaign_id"]) and decision["target"] == decision["campaign_id"]
    )
    [(key, command)] = await _sent(pool)
    assert key == decision["campaign_id"].encode() and str(command.event_id) == decision["command_id"]
    assert (command.action, command.programme, command.seed, command.decided_by) == (
        "open_campaign",
        "cheque-france-num-2021",
        12345,
        "sam",
    )
    assert command.paid_before is not None and command.paid_before.isoformat() == "2026-11-30T23:59:59.999999+01:00"


async def test_a_non_compliant_outcome_waits_for_another_supervisor_then_one_command_leaves(
    pool: asyncpg.Pool,
) -> None:
    await _under_control(pool, "claim-ctl")
    sam, tess, cora, fred = [await _token(pool, login, role) for login, role in TEAM]
    body = {
        "outcome": "non_compliant",
        "reason_code": "CONTROL_INVOICE_UNPAID",
        "amount_undue_cents": 40_000,
        "reason": "Factures non acquittées",
    }
    async with _api(pool) as api:
        assert (await api.post("/api/v1/controls/claim-ctl/outcome", json=body, headers=fred)).status_code == 403
        too_much = await api.post(
            "/api/v1/controls/claim-ctl/outcome", json=body | {"amount_undue_cents": 150_001}, headers=cora
        )
        assert too_much.status_code == 400, too_much.text
        unknown = await api.post("/api/v1/controls/claim-404/outcome", json=body, headers=cora)
        assert unknown.status_code == 409, unknown.text
        taken = await api.post("/api/v1/controls/claim-ctl/outcome", json=body, headers=sam)
        assert taken.status_code == 200 and taken.json()["state"] == "pending", taken.text
        decision_id = taken.json()["id"]
        assert (await api.post(f"/api/v1/decisions/{decision_id}/second", headers=sam)).status_code == 403
        assert (await api.post(f"/api/v1/decisions/{decision_id}/second", headers=cora)).status_code == 403
        assert await _sent(pool) == []
        seconded = await api.post(f"/api/v1/decisions/{decision_id}/second", headers=tess)
        assert seconded.status_code == 200 and seconded.json()["state"] == "complete", seconded.text
        assert (await api.post(f"/api/v1/decisions/{decision_id}/second", headers=tess)).status_code == 409
        listed = (await api.get("/api/v1/controls?outcome=none", headers=cora)).json()["controls"]
        assert (await api.get("/api/v1/recovery-orders", headers=fred)).json() == {"orders": []}
        assert (await api.get("/api/v1/controls?outcome=maybe", headers=cora)).status_code == 400
        assert (await api.get("/api/v1/controls", headers=fred)).status_code == 403
    assert [row["claim_id"] for row in listed] == ["claim-ctl"] and listed[0]["reply_by"] == "2026-12-31"
    [(key, command)] = await _sent(pool)
    assert key == b"claim-ctl"
    assert (command.action, command.claim_id, command.campaign_id, command.outcome) == (
        "record_outcome",
        "claim-ctl",
        "C-20261203-0a1b2c3d",
        "non_compliant",
    )
    assert (command.reason_code, command.amount_undue_cents) == ("CONTROL_INVOICE_UNPAID", 40_000)
    assert (command.decided_by, command.seconded_by) == ("sam", "tess")
    async with pool.acquire() as conn:
        trail = [r for r in await audit.latest(conn, action=None, limit=20) if r.target == "claim-ctl"]
    taken_row = next(r for r in trail if r.action == "decision_taken")
    details = taken_row.details if isinstance(taken_row.details, dict) else json.loads(taken_row.details)
    assert (details["reason_code"], details["amount_undue_cents"], details["outcome"]) == (
        "CONTROL_INVOICE_UNPAID",
        40_000,
        "non_compliant",
    )
    assert ("tess", "decision_seconded") in [(r.actor, r.action) for r in trail]


async def test_no_answer_orders_the_whole_grant_back(pool: asyncpg.Pool) -> None:
    await _under_control(pool, "claim-mute")
    cora = await _token(pool, "cora", "caseworker")
    async with _api(pool) as api:
        taken = await api.post(
            "/api/v1/controls/claim-mute/outcome", json={"outcome": "no_answer", "reason": "Aucun retour"}, headers=cora
        )
    assert taken.status_code == 200, taken.text
    answer = taken.json()
    assert (answer["state"], answer["reason_code"], answer["amount_undue_cents"]) == (
        "pending",
        "CONTROL_NO_ANSWER",
        150_000,
    )


async def test_unauthenticated_requests_are_refused(pool: asyncpg.Pool) -> None:
    async with _api(pool) as api:
        assert (await api.post("/api/v1/controls/campaigns", json={})).status_code == 401
        assert (await api.get("/api/v1/recovery-orders")).status_code == 401
