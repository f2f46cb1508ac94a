"""Controls on real PostgreSQL: approvals' risk facts kept at scheduling, a campaign opened from the back-office's
decision (twice delivered, applied once) over settled claims, drawn again from its stored seed by the operators'
verification, and a non-compliant outcome issuing one recovery order."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import asyncpg
import pytest

from guichet_common.contracts import ClaimDecidedV1
from guichet_common.contracts.controls import ControlDecisionV1
from guichet_common.outbox import queued_messages
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.settings import project_root
from guichet_common.unit_of_work import announcing, open_unit_of_work
from guichet_payments import operators
from guichet_payments.controls.commands import ControlCommands
from guichet_payments.controls.service import ControlsService
from guichet_payments.recovery.service import RecoveryService
from guichet_payments.service import PaymentsService
from guichet_payments.unit_of_work import PaymentsUnitOfWork
from guichet_programme import load_programme

pytestmark = pytest.mark.integration
PROGRAMME = load_programme(project_root() / "programmes" / "cheque-france-num-2021.toml")
PROGRAMMES = {PROGRAMME.id: PROGRAMME}
T0 = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)
SETTLED = dt.datetime(2021, 4, 1, 10, tzinfo=dt.UTC)
NOW = dt.datetime(2021, 6, 1, 10, tzinfo=dt.UTC)
CAMPAIGN = "C-20210601-0badcafe"
IBAN = "FR7693233145437431125912957"


def approval(n: int, **facts: Any) -> ClaimDecidedV1:
    return ClaimDecidedV1.model_validate(
        {
            "event_id": uuid.uuid4(),
            "occurred_at": T0,
            "correlation_id": uuid.uuid4(),
            "claim_id": f"CFN-CTRL-{n:07d}",
            "programme": PROGRAMME.id,
            "siren": f"{100000000 + n}",
            "decision": "approved",
            "rule_version": "2021-01-28",
            "grant_amount_cents": 50_000,
            "submitted_at": T0 + dt.timedelta(seconds=n),
            "beneficiary_name": "BOUTIQUE TEST",
            "iban": IBAN,
        }
        | facts,
        strict=False,
    )


def decision(**fields: Any) -> ControlDecisionV1:
    values: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "occurred_at": NOW,
        "action": "open_campaign",
        "campaign_id": CAMPAIGN,
        "programme": PROGRAMME.id,
        "seed": 2021,
        "paid_before": NOW,
        "decided_by": "sup1",
        "reason": "campagne de printemps",
    }
    return ControlDecisionV1.model_validate(values | fields, strict=False)


async def settled_claims(pool: asyncpg.Pool, count: int) -> None:
    """`count` approvals scheduled by payments (claims 1 and 2 approved after review, 3 naming a watched digital
    provider, 4 paid to an account given after a return), then settled on SETTLED."""
    payments = PaymentsService(programmes=PROGRAMMES, clock=lambda: T0)
    special = {1: {"approved_by_person": True}, 2: {"reviewed_reasons": ["IBAN_SHARED"], "approved_by_person": True}}
    special[3] = {"supplier_sirens": ["534640974"]}
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        await payments.open_envelopes(uow)
        await payments.apply_approvals(uow, [approval(n, **special.get(n, {})) for n in range(1, count + 1)])
        await uow.commit()
    await pool.execute("UPDATE payments SET status = 'settled'")
    await pool.execute("UPDATE payment_attempts SET status = 'settled', reported_at = $1", SETTLED)
    changed = await pool.fetchval("SELECT payment_id FROM payments WHERE claim_id = 'CFN-CTRL-0000004'")
    await pool.execute(
        "INSERT INTO payment_attempts (payment_id, attempt, end_to_end_id, beneficiary_name, iban, amount_cents,"
        " status, reported_at) VALUES ($1, 2, 'E2E-CTRL-4-2', 'BOUTIQUE TEST', 'FR7630006000011234567890189', 50000,"
        " 'settled', $2)",
        changed,
        SETTLED,
    )
    await pool.execute("UPDATE payment_attempts SET status = 'returned' WHERE payment_id = $1 AND attempt = 1", changed)
    await pool.execute("UPDATE payments SET attempt = 2 WHERE payment_id = $1", changed)


def commands() -> Subscription[Any, Any]:
    payments = PaymentsService(programmes=PROGRAMMES, clock=lambda: NOW)
    recovery = RecoveryService(PROGRAMMES, payments.announce, lambda: NOW, payments)
    controls = ControlCommands(ControlsService(PROGRAMMES, recovery, lambda: NOW))
    return Subscription(use_case=controls.apply, decode=contract(ControlDecisionV1))


async def deliver(pool: asyncpg.Pool, *sent: ControlDecisionV1) -> list[dict[str, Any]]:
    """The decisions as one batch from the back-office's topic, through the inbox; the outcomes queued so far."""
    records = [
        InboundRecord("backoffice.control-decisions.v1", 0, n, None, d.model_dump_json().encode())
        for n, d in enumerate(sent)
    ]
    async with open_unit_of_work(pool, announcing(PaymentsUnitOfWork, "payments", "")) as uow:
        await commands().apply(uow, records)
    async with pool.acquire() as conn:
        return [json.loads(m.value) for m in await queued_messages(conn, "operations.command-outcomes.v1")]


async def queued(pool: asyncpg.Pool, topic: str) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        return [json.loads(m.value) for m in await queued_messages(conn, topic)]


async def test_a_campaign_is_drawn_once_from_its_seed_and_drawn_again_identically(payments_pool: asyncpg.Pool) -> None:
    await settled_claims(payments_pool, 60)
    facts = await payments_pool.fetchrow("SELECT * FROM claim_risk_facts WHERE claim_id = 'CFN-CTRL-0000002'")
    assert (facts["reviewed_reasons"], facts["approved_by_person"]) == (["IBAN_SHARED"], True)
    async with payments_pool.acquire() as conn:
        preview = await operators.preview_selection(conn, PROGRAMME.id, 2021, NOW, programmes=PROGRAMMES)
    opening = decision()
    [outcome] = await deliver(payments_pool, opening, opening)  # delivered twice: the inbox applies it once
    assert (outcome["outcome"], outcome["detail"]) == ("applied", "7 selected of 60")  # 4 flagged, ceil(56 * 5%)
    rows = await payments_pool.fetch("SELECT claim_id, grounds FROM controls ORDER BY claim_id")
    assert [(r["claim_id"], r["grounds"]) for r in rows] == [(s["claim_id"], s["grounds"]) for s in preview["selected"]]
    grounds = {r["claim_id"]: r["grounds"] for r in rows}
    assert grounds["CFN-CTRL-0000001"] == ["CONTROL_RISK_REVIEWED"]
    assert grounds["CFN-CTRL-0000002"] == ["CONTROL_RISK_FRAUD_SIGNAL", "CONTROL_RISK_REVIEWED"]
    assert grounds["CFN-CTRL-0000003"] == ["CONTROL_RISK_DIGITAL_PROVIDER"]
    assert grounds["CFN-CTRL-0000004"] == ["CONTROL_RISK_BANK_CHANGED"]
    selected = await queued(payments_pool, "payments.controls.v1")
    assert sorted(e["claim_id"] for e in selected) == sorted(grounds) and selected[0]["reply_by"] == "2021-07-01"
    under = [s for s in await queued(payments_pool, "claims.status.v1") if s["status"] == "under_control"]
    assert len(under) == 7
    # A later campaign draws from the claims not controlled yet; the first one still draws again identically.
    [_, later] = await deliver(payments_pool, decision(campaign_id="C-20210602-0badcafe", seed=7))
    assert later["detail"] == "3 selected of 53"
    async with payments_pool.acquire() as conn:
        verified = await operators.verify_campaign(conn, CAMPAIGN, programmes=PROGRAMMES)
        shown = await operators.campaign(conn, CAMPAIGN)
        listed = await operators.campaigns(conn)
    assert verified["matches"] and verified["drawn"] == sorted(grounds) and verified["missing"] == []
    # Claim 4's bank data erased (privacy): its account change after a return still counts when drawn again.
    await payments_pool.execute(
        "UPDATE payment_attempts SET iban = NULL, beneficiary_name = NULL FROM payments p"
        " WHERE p.payment_id = payment_attempts.payment_id AND p.claim_id = 'CFN-CTRL-0000004'"
    )
    async with payments_pool.acquire() as conn:
        assert (await operators.verify_campaign(conn, CAMPAIGN, programmes=PROGRAMMES))["matches"]
    assert shown is not None and len(shown["controls"]) == 7 and shown["seed"] == 2021
    assert [c["campaign_id"] for c in listed] == ["C-20210602-0badcafe", CAMPAIGN]
    await payments_pool.execute("UPDATE controls SET grounds = '{CONTROL_SAMPLED}' WHERE claim_id = 'CFN-CTRL-0000001'")
    async with payments_pool.acquire() as conn:
        tampered = await operators.verify_campaign(conn, CAMPAIGN, programmes=PROGRAMMES)
    assert not tampered["matches"] and tampered["grounds_differ"] == ["CFN-CTRL-0000001"]


async def test_a_non_compliant_outcome_issues_one_recovery_order(payments_pool: asyncpg.Pool) -> None:
    await settled_claims(payments_pool, 10)
    await deliver(payments_pool, decision())
    found = {"outcome": "non_compliant", "reason_code": "CONTROL_INVOICE_UNPAID", "amount_undue_cents": 20_000}
    seconded = decision(action="record_outcome", claim_id="CFN-CTRL-0000001", decided_by="agent1", **found)
    seconded = seconded.model_copy(update={"seconded_by": "sup1"})
    alone = decision(action="record_outcome", claim_id="CFN-CTRL-0000001", decided_by="agent1", **found)
    outcomes = await deliver(
        payments_pool, alone, seconded, decision(**seconded.model_dump() | {"event_id": uuid.uuid4()})
    )
    assert [o["outcome"] for o in outcomes[1:]] == ["refused", "applied", "refused"]
    assert "quatre yeux" in outcomes[1]["detail"] and "déjà clos" in outcomes[3]["detail"]
    orders = await payments_pool.fetch("SELECT claim_id, amount_cents, reason_code FROM recovery_orders")
    assert [tuple(o) for o in orders] == [("CFN-CTRL-0000001", 20_000, "CONTROL_INVOICE_UNPAID")]
    control = await payments_pool.fetchrow("SELECT * FROM controls WHERE claim_id = 'CFN-CTRL-0000001'")
    assert (control["outcome"], control["amount_undue_cents"], control["seconded_by"]) == (
        "non_compliant",
        20_000,
        "sup1",
    )
    [issued] = await queued(payments_pool, "payments.recovery-orders.v1")
    outcome_event = [e for e in await queued(payments_pool, "payments.controls.v1") if e["kind"] == "outcome"]
    assert [e["recovery_order_id"] for e in outcome_event] == [issued["order_id"]]
    assert [s["status"] for s in await queued(payments_pool, "claims.status.v1")].count("recovery_ordered") == 1
