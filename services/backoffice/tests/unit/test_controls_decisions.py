"""Control decisions as pure rules and as the command they send: who opens a campaign or records an outcome, which
outcomes wait for a second person (never their author), and the ControlDecisionV1 payments receives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import uuid

import pytest

from guichet_backoffice import control_commands, control_rules, four_eyes
from guichet_backoffice.control_rules import ControlTerms
from guichet_backoffice.four_eyes import Action, InvalidDecision, NotAllowed, SelfSeconding
from guichet_common.contracts.reason_codes import catalogue
from guichet_common.topics import CONTROL_DECISIONS

NOW = dt.datetime(2026, 12, 3, 23, 30, tzinfo=dt.UTC)  # already 4 December in Paris
LATER = NOW + dt.timedelta(hours=1)
CAMPAIGN = "C-20261204-0a1b2c3d"


def taken(action: Action, *, login: str = "alice", role: str = "caseworker", **terms: object) -> four_eyes.Decision:
    return four_eyes.request(
        id=uuid.uuid4(),
        action=action,
        service="payments",
        target=CAMPAIGN if action is Action.CONTROL_OPEN else "claim-1",
        kind=None,
        codes=(),
        reason="Justificatifs examinés",
        login=login,
        role=role,
        now=NOW,
        control=ControlTerms(**terms),  # type: ignore[arg-type]
    )


def test_a_campaign_and_a_compliant_outcome_go_at_once_a_recovering_outcome_waits() -> None:
    assert taken(Action.CONTROL_OPEN, login="sam", role="supervisor").state == "complete"
    assert taken(Action.CONTROL_COMPLIANT).state == "complete"
    for action in (Action.CONTROL_NON_COMPLIANT, Action.CONTROL_NO_ANSWER):
        decision = taken(action)
        assert decision.state == "pending" and decision.closed_at is None and decision.command_id is None


def test_only_supervisors_open_campaigns_and_caseworkers_record_outcomes() -> None:
    with pytest.raises(NotAllowed):
        taken(Action.CONTROL_OPEN, role="caseworker")
    for action in (Action.CONTROL_COMPLIANT, Action.CONTROL_NON_COMPLIANT, Action.CONTROL_NO_ANSWER):
        taken(action, login="sam", role="supervisor")  # a supervisor records outcomes too
        for role in ("finance", "auditor", "admin"):
            with pytest.raises(NotAllowed):
                taken(action, role=role)


@pytest.mark.parametrize("action", [Action.CONTROL_NON_COMPLIANT, Action.CONTROL_NO_ANSWER])
def test_a_recovering_outcome_is_seconded_by_another_supervisor_never_its_author(action: Action) -> None:
    mine = taken(action, login="sam", role="supervisor")
    with pytest.raises(SelfSeconding):
        four_eyes.second(mine, login="sam", role="supervisor", now=LATER)
    with pytest.raises(NotAllowed):
        four_eyes.second(taken(action), login="carl", role="caseworker", now=LATER)
    seconded = four_eyes.second(mine, login="sophie", role="supervisor", now=LATER)
    assert (seconded.state, seconded.seconded_by, seconded.control) == ("complete", "sophie", mine.control)


def test_a_campaign_id_is_the_paris_date_and_8_hex_digits_and_its_seed_is_drawn_unless_given() -> None:
    terms = control_rules.campaign(
        programme="cheque-france-num-2021", seed=None, paid_before=None, now=NOW, token="0a1b2c3d", drawn=42
    )
    assert terms == ControlTerms(CAMPAIGN, "cheque-france-num-2021", 42, NOW)
    given = control_rules.campaign(
        programme="p", seed=7, paid_before=NOW - dt.timedelta(days=1), now=NOW, token="ffffffff", drawn=42
    )
    assert given.seed == 7 and given.paid_before == NOW - dt.timedelta(days=1)
    for seed in (-1, 2**63, True):
        with pytest.raises(InvalidDecision):
            control_rules.campaign(programme="p", seed=seed, paid_before=None, now=NOW, token="0a1b2c3d", drawn=1)
    with pytest.raises(InvalidDecision):
        control_rules.campaign(programme="p", seed=1, paid_before=LATER, now=NOW, token="0a1b2c3d", drawn=1)


def test_an_outcomes_reason_and_amount_are_checked_against_what_was_paid() -> None:
    def outcome(action: Action, code: str | None = None, amount: int | None = None) -> ControlTerms:
        return control_rules.outcome(
            action, campaign=CAMPAIGN, reason_code=code, amount_undue_cents=amount, paid_cents=1000
        )

    assert outcome(Action.CONTROL_COMPLIANT).outcome == "compliant"
    assert outcome(Action.CONTROL_NO_ANSWER) == ControlTerms(
        CAMPAIGN, outcome="no_answer", reason_code="CONTROL_NO_ANSWER", amount_undue_cents=1000
    )
    assert outcome(Action.CONTROL_NON_COMPLIANT, "CONTROL_INVOICE_UNPAID", 1000).amount_undue_cents == 1000
    for code, amount in [
        ("CONTROL_NO_ANSWER", 10),
        ("CONTROL_SAMPLED", 10),
        ("CONTROL_INVOICE_UNPAID", 0),
        ("CONTROL_INVOICE_UNPAID", 1001),
        ("CONTROL_INVOICE_UNPAID", None),
    ]:
        with pytest.raises(InvalidDecision):
            outcome(Action.CONTROL_NON_COMPLIANT, code, amount)
    with pytest.raises(InvalidDecision):
        outcome(Action.CONTROL_NO_ANSWER, amount=10)  # the whole grant, or nothing said
    with pytest.raises(InvalidDecision):
        outcome(Action.CONTROL_COMPLIANT, "CONTROL_INVOICE_UNPAID")


def test_the_non_compliance_codes_are_the_catalogues_recovery_reasons() -> None:
    ordered_back = {code for code, entry in catalogue().items() if "recovery_ordered" in entry.statuses}
    assert ordered_back == {*control_rules.NON_COMPLIANCE_CODES, control_rules.NO_ANSWER}


def test_a_seconded_non_compliant_outcome_sends_one_control_decision_keyed_by_its_claim() -> None:
    pending = taken(
        Action.CONTROL_NON_COMPLIANT,
        campaign_id=CAMPAIGN,
        outcome="non_compliant",
        reason_code="CONTROL_INVOICE_UNPAID",
        amount_undue_cents=40_000,
    )
    seconded = dataclasses.replace(
        four_eyes.second(pending, login="sophie", role="supervisor", now=LATER), command_id=uuid.uuid4()
    )
    message = control_commands.command(seconded, "t.", LATER)
    assert message.topic == "t." + CONTROL_DECISIONS.name and message.key == b"claim-1"
    sent = json.loads(message.value)
    assert sent["event_id"] == str(seconded.command_id) and sent["action"] == "record_outcome"
    assert (sent["claim_id"], sent["campaign_id"], sent["outcome"]) == ("claim-1", CAMPAIGN, "non_compliant")
    assert (sent["reason_code"], sent["amount_undue_cents"]) == ("CONTROL_INVOICE_UNPAID", 40_000)
    assert (sent["decided_by"], sent["seconded_by"], sent["reason"]) == ("alice", "sophie", "Justificatifs examinés")


def test_an_opened_campaign_sends_its_seed_and_cut_off_keyed_by_its_id() -> None:
    opened = dataclasses.replace(
        taken(
            Action.CONTROL_OPEN,
            login="sam",
            role="supervisor",
            campaign_id=CAMPAIGN,
            programme="cheque-france-num-2021",
            seed=2**63 - 1,
            paid_before=NOW,
        ),
        command_id=uuid.uuid4(),
    )
    message = control_commands.command(opened, "", NOW)
    sent = json.loads(message.value)
    assert message.key == CAMPAIGN.encode() and re.fullmatch(r"C-\d{8}-[0-9a-f]{8}", sent["campaign_id"])
    assert (sent["action"], sent["programme"], sent["seed"]) == ("open_campaign", "cheque-france-num-2021", 2**63 - 1)
    assert sent.get("claim_id") is None and sent.get("seconded_by") is None and sent["decided_by"] == "sam"
