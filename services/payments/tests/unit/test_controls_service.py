"""Controls' use cases on the in-memory unit of work: a campaign selects and announces its claims, an outcome
closes a control or issues a recovery order under four eyes, and what cannot be applied is refused with why (a
command outcome, never a dead letter); a decision received twice changes nothing the second time."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest

from guichet_common.contracts.controls import ControlDecisionV1
from guichet_common.outbox import OutboxMessage
from guichet_payments.controls.commands import ControlCommands
from guichet_payments.controls.model import PaidClaim, RiskFacts
from guichet_payments.controls.service import ControlsService
from guichet_payments.service import PaymentsService

from .fakes import PROGRAMME, T0, Clock, approval, statuses, values, with_envelope

CAMPAIGN = "C-20210601-0a1b2c3d"
RULES = PROGRAMME.model_copy(
    update={
        "controls": PROGRAMME.controls.model_copy(
            update={"risk_rules": ("CONTROL_RISK_REVIEWED",), "sampling_percent": 10, "reply_days": 30}
        )
    }
)
NOW = dt.datetime(2021, 6, 1, 10, tzinfo=dt.UTC)


class FakeRecovery:
    """RecoveryService.issue's signature; records what it was asked."""

    def __init__(self) -> None:
        self.issued: list[dict[str, Any]] = []

    async def issue(self, uow: Any, **order: Any) -> tuple[str, list[OutboxMessage]]:
        self.issued.append(order)
        return f"RO-{len(self.issued):012d}", []


def decision(**fields: Any) -> ControlDecisionV1:
    values: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "occurred_at": NOW,
        "action": "open_campaign",
        "campaign_id": CAMPAIGN,
        "programme": PROGRAMME.id,
        "seed": 42,
        "decided_by": "sup1",
        "reason": "campagne de printemps",
    }
    return ControlDecisionV1.model_validate(values | fields, strict=False)


def outcome(claim_id: str, **fields: Any) -> ControlDecisionV1:
    base = {"action": "record_outcome", "campaign_id": None, "programme": None, "seed": None, "claim_id": claim_id}
    return decision(**(base | {"decided_by": "agent1"} | fields))


async def paid_uow(count: int = 20, reviewed: int = 2):
    """Claims 1..count settled on T0 (the first `reviewed` approved by a person), and a command runner."""
    uow = await with_envelope()
    for n in range(1, count + 1):
        claim_id = f"CFN-UNIT-{n:07d}"
        facts = RiskFacts(claim_id, approved_by_person=n <= reviewed)
        uow.controls.facts[claim_id] = facts
        paid = PaidClaim(claim_id, f"P-{n}", PROGRAMME.id, f"{100000000 + n}", 50_000, facts, source="portail")
        uow.controls.paid[claim_id] = (paid, T0)
    clock = Clock(NOW)
    recovery = FakeRecovery()
    commands = ControlCommands(ControlsService({PROGRAMME.id: RULES}, recovery, clock))
    return uow, commands, clock, recovery


def outcomes(answers: list[Any]) -> list[tuple[str, str]]:
    return [(v["outcome"], v["detail"]) for v in values(answers, "operations.command-outcomes.v1")]


async def test_scheduling_keeps_each_claims_risk_facts() -> None:
    uow = await with_envelope()
    payments = PaymentsService(programmes={PROGRAMME.id: PROGRAMME}, clock=Clock())
    flagged = approval(1, reviewed_reasons=["IBAN_SHARED"], approved_by_person=True, supplier_sirens=["552100554"])
    await payments.apply_approvals(uow, [flagged, approval(2)])
    assert uow.controls.facts[flagged.claim_id] == RiskFacts(flagged.claim_id, ("IBAN_SHARED",), True, ("552100554",))
    assert uow.controls.facts["CFN-UNIT-0000002"] == RiskFacts("CFN-UNIT-0000002")


async def test_a_campaign_selects_the_flagged_claims_and_a_sample_and_announces_them() -> None:
    uow, commands, _, _ = await paid_uow()
    answers = await commands.apply(uow, [decision()])
    assert outcomes(answers) == [("applied", "4 selected of 20")]  # 2 flagged + ceil(18 * 10%)
    selected = {c.claim_id: c for c in uow.controls.controls.values()}
    assert selected["CFN-UNIT-0000001"].grounds == ("CONTROL_RISK_REVIEWED",)
    assert sorted(c.grounds for c in selected.values()).count(("CONTROL_SAMPLED",)) == 2
    assert all(c.reply_by == dt.date(2021, 7, 1) for c in selected.values())
    assert sorted(statuses(uow.published)) == sorted((c, "under_control", list(s.grounds)) for c, s in selected.items())
    events = values(uow.published, "payments.controls.v1")
    assert {e["claim_id"] for e in events} == set(selected) and {e["kind"] for e in events} == {"selected"}
    assert events[0]["reply_by"] == "2021-07-01" and events[0]["source"] == "portail"
    campaign = uow.controls.campaigns[CAMPAIGN]
    assert (campaign.population, campaign.selected, campaign.seed, campaign.opened_by) == (20, 4, 42, "sup1")


async def test_a_later_campaign_never_draws_a_claim_already_controlled() -> None:
    uow, commands, _, _ = await paid_uow()
    await commands.apply(uow, [decision()])
    later = decision(campaign_id="C-20210701-0a1b2c3d")
    assert outcomes(await commands.apply(uow, [later])) == [("applied", "2 selected of 16")]


async def test_the_same_decision_twice_changes_nothing_the_second_time() -> None:
    uow, commands, _, _ = await paid_uow()
    opening = decision()
    await commands.apply(uow, [opening])
    uow.published.clear()
    [(verdict, detail)] = outcomes(await commands.apply(uow, [opening]))
    assert (verdict, detail) == ("refused", f"campagne {CAMPAIGN} déjà ouverte") and uow.published == []
    assert len(uow.controls.controls) == 4
    claim_id = next(iter(uow.controls.controls))
    compliant = outcome(claim_id, outcome="compliant")
    await commands.apply(uow, [compliant])
    decided = uow.controls.controls[claim_id]
    uow.published.clear()
    assert outcomes(await commands.apply(uow, [compliant]))[0][0] == "refused" and uow.published == []
    assert uow.controls.controls[claim_id] == decided


async def test_a_compliant_control_is_closed_at_once() -> None:
    uow, commands, _, recovery = await paid_uow()
    await commands.apply(uow, [decision()])
    claim_id = next(iter(uow.controls.controls))
    uow.published.clear()
    answers = await commands.apply(uow, [outcome(claim_id, outcome="compliant")])
    assert outcomes(answers) == [("applied", "contrôle clos : conforme")]
    assert statuses(uow.published) == [(claim_id, "control_closed", ["CONTROL_COMPLIANT"])]
    [event] = values(uow.published, "payments.controls.v1")
    assert (event["kind"], event["outcome"], event["decided_by"]) == ("outcome", "compliant", "agent1")
    assert recovery.issued == []


async def test_a_non_compliant_control_issues_one_recovery_order_under_four_eyes() -> None:
    uow, commands, _, recovery = await paid_uow()
    await commands.apply(uow, [decision()])
    claim_id = next(iter(uow.controls.controls))
    found = {"outcome": "non_compliant", "reason_code": "CONTROL_INVOICE_UNPAID", "amount_undue_cents": 20_000}
    uow.published.clear()
    refusals = await commands.apply(
        uow,
        [
            outcome(claim_id, **found),
            outcome(claim_id, **found, seconded_by="AGENT1"),
            outcome(claim_id, **(found | {"amount_undue_cents": 50_001}), seconded_by="sup1"),
            outcome(claim_id, **(found | {"reason_code": "CONTROL_COMPLIANT"}), seconded_by="sup1"),
            outcome("CFN-UNKNOWN", outcome="compliant"),
        ],
    )
    details = [detail for verdict, detail in outcomes(refusals) if verdict == "refused"]
    assert len(details) == 5 and "quatre yeux" in details[0] and "quatre yeux" in details[1]
    assert "50000" in details[2] and "CONTROL_COMPLIANT" in details[3] and "pas sous contrôle" in details[4]
    assert recovery.issued == [] and uow.controls.controls[claim_id].outcome is None and uow.published == []
    answers = await commands.apply(uow, [outcome(claim_id, **found, seconded_by="sup1")])
    assert outcomes(answers) == [("applied", "ordre de reversement RO-000000000001 émis (20000 centimes)")]
    [issued] = recovery.issued
    assert (issued["claim_id"], issued["amount_cents"], issued["reason_code"]) == (
        claim_id,
        20_000,
        "CONTROL_INVOICE_UNPAID",
    )
    [event] = values(uow.published, "payments.controls.v1")
    assert (event["outcome"], event["recovery_order_id"], event["seconded_by"]) == (
        "non_compliant",
        "RO-000000000001",
        "sup1",
    )


async def test_no_answer_is_taken_only_after_the_reply_deadline_for_the_whole_grant() -> None:
    uow, commands, clock, recovery = await paid_uow()
    await commands.apply(uow, [decision()])
    claim_id = next(iter(uow.controls.controls))
    silent = outcome(claim_id, outcome="no_answer", seconded_by="sup1")
    clock.now = dt.datetime(2021, 7, 1, 21, 59, tzinfo=dt.UTC)  # 23:59 in Paris on the last day
    [(verdict, detail)] = outcomes(await commands.apply(uow, [silent]))
    assert verdict == "refused" and "01/07/2021" in detail
    clock.now = dt.datetime(2021, 7, 1, 22, 0, tzinfo=dt.UTC)  # midnight in Paris: the deadline has passed
    [(verdict, _)] = outcomes(await commands.apply(uow, [decision(**silent.model_dump() | {"event_id": uuid.uuid4()})]))
    assert verdict == "applied"
    assert [(o["amount_cents"], o["reason_code"]) for o in recovery.issued] == [(50_000, "CONTROL_NO_ANSWER")]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"programme": "unknown-programme"}, "programme inconnu"),
        ({"seed": None}, "graine"),
    ],
)
async def test_an_opening_that_cannot_be_applied_is_refused(fields: dict[str, Any], words: str) -> None:
    uow, commands, _, _ = await paid_uow()
    [(verdict, detail)] = outcomes(await commands.apply(uow, [decision(**fields)]))
    assert verdict == "refused" and words in detail and uow.controls.campaigns == {}
    assert json.loads(json.dumps(detail))  # printable
