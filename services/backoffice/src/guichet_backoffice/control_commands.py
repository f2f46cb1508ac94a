"""Control decisions in the use cases (commands): what the read model must say before one is taken, and the
ControlDecisionV1 a complete one sends to payments, which owns controls and recovery orders.

A campaign is decided on a programme (its id is made here); an outcome on a claim under control without one yet
(the read model's `controls`, projected from payments.controls.v1), whose paid amount bounds what is ordered back.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from guichet_backoffice import control_rules
from guichet_backoffice.control_rules import ControlTerms
from guichet_backoffice.four_eyes import Action, Decision, InvalidDecision, NotPending
from guichet_common.contracts.controls import ControlDecisionV1
from guichet_common.outbox import OutboxMessage
from guichet_common.topics import CONTROL_DECISIONS

if TYPE_CHECKING:
    from guichet_backoffice.commands import Asked, DecisionsWork

SERVICE = "payments"


async def checked(uow: DecisionsWork, asked: Asked, now: dt.datetime) -> tuple[Asked, ControlTerms]:
    """The decision's target and terms: a new campaign's id, or the claim under control and its outcome."""
    wanted = asked.control or ControlTerms()
    if asked.action is Action.CONTROL_OPEN:
        terms = control_rules.campaign(
            programme=asked.target,
            seed=wanted.seed,
            paid_before=wanted.paid_before,
            now=now,
            token=secrets.token_hex(4),
            drawn=secrets.randbelow(control_rules.SEED_LIMIT),
        )
        assert terms.campaign_id is not None
        return replace(asked, service=SERVICE, target=terms.campaign_id, kind=None, codes=()), terms
    under_control = await uow.decisions.claim_under_control(asked.target)
    if under_control is None:
        raise NotPending("Ce dossier n'est pas (ou plus) sous contrôle sans issue.")
    campaign, paid_cents = under_control
    terms = control_rules.outcome(
        asked.action,
        campaign=campaign,
        reason_code=wanted.reason_code,
        amount_undue_cents=wanted.amount_undue_cents,
        paid_cents=paid_cents,
    )
    codes = (terms.reason_code,) if terms.reason_code else ()
    return replace(asked, service=SERVICE, kind=None, codes=codes), terms


def audited(terms: ControlTerms) -> dict[str, Any]:
    """The terms as the audit trail records them (only those set)."""
    values = {
        "campaign_id": terms.campaign_id,
        "programme": terms.programme,
        "seed": terms.seed,
        "paid_before": terms.paid_before.isoformat() if terms.paid_before else None,
        "outcome": terms.outcome,
        "reason_code": terms.reason_code,
        "amount_undue_cents": terms.amount_undue_cents,
    }
    return {name: value for name, value in values.items() if value is not None}


def command(decision: Decision, topic_prefix: str, now: dt.datetime) -> OutboxMessage:
    """The ControlDecisionV1 of a complete control decision, keyed by its campaign or its claim."""
    terms = decision.control
    if terms is None or decision.command_id is None:
        raise InvalidDecision("Décision de contrôle sans ses termes.")
    opening = decision.action is Action.CONTROL_OPEN
    event = ControlDecisionV1(
        event_id=decision.command_id,
        occurred_at=now,
        action="open_campaign" if opening else "record_outcome",
        campaign_id=terms.campaign_id,
        programme=terms.programme,
        seed=terms.seed,
        paid_before=terms.paid_before,
        claim_id=None if opening else decision.target,
        outcome=terms.outcome,  # type: ignore[arg-type]  # control_rules.outcome made it one of the three
        reason_code=terms.reason_code,
        amount_undue_cents=terms.amount_undue_cents,
        decided_by=decision.requested_by,
        seconded_by=decision.seconded_by,
        reason=decision.reason,
    )
    return OutboxMessage.of_event(topic_prefix + CONTROL_DECISIONS.name, decision.target, event)
