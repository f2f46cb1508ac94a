"""Use cases: a person's decision recorded, seconded or withdrawn, and the command it sends once complete.

The web pages and the JSON API call the same functions, so the same four-eyes rules and the same audit rows apply
to both. Each runs on one unit of work: the decision, its audit row and the command (through the back-office's
outbox) commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, replace
from typing import Any

import asyncpg

from guichet_backoffice import audit, control_commands, four_eyes
from guichet_backoffice.control_rules import ControlTerms
from guichet_backoffice.decision_repository import DecisionRepository
from guichet_backoffice.four_eyes import Action, Decision, InvalidDecision, NotPending
from guichet_common.contracts.backoffice import OperatorCommandV1, ReviewDecisionV1
from guichet_common.outbox import OutboxMessage
from guichet_common.topics import OPERATOR_COMMANDS, REVIEW_DECISIONS
from guichet_common.unit_of_work import PostgresUnitOfWork

REASON_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")
MAX_REASON = 2000


@dataclass(frozen=True)
class Actor:
    """The signed-in person (or the API token's owner) taking the decision."""

    login: str
    role: str


@dataclass(frozen=True)
class Asked:
    """What a person asks for, as the form or the JSON body says it."""

    action: Action
    target: str
    reason: str
    service: str = ""  # a set-aside item's service; a review goes to eligibility, a dead letter to its owner
    kind: str | None = None
    codes: tuple[str, ...] = ()
    assign_to: str | None = None  # a bank entry's release: the attempt it is settled to
    # A control decision's wishes (a campaign's seed and cut-off, an outcome's reason and amount), checked by
    # control_commands; a campaign's target is its programme until its id is made.
    control: ControlTerms | None = None


class DecisionsWork(PostgresUnitOfWork):
    def __init__(self, connection: asyncpg.Connection) -> None:
        super().__init__(connection)
        self.decisions = DecisionRepository(connection)

    async def audit(self, actor: str, action: str, decision: Decision, **details: Any) -> None:
        await audit.record(
            self.connection, actor, action, decision.target, decision.reason, _details(decision, details)
        )


def _details(decision: Decision, extra: dict[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = {"decision_id": str(decision.id), "action": decision.action.value}
    details["service"] = decision.service
    details |= {"kind": decision.kind} if decision.kind else {}
    details |= {"codes": list(decision.codes)} if decision.codes else {}
    details |= {"command_id": str(decision.command_id)} if decision.command_id else {}
    details |= {"assign_to": decision.assign_to} if decision.assign_to else {}
    details |= control_commands.audited(decision.control) if decision.control else {}
    return details | extra


def _validated(asked: Asked) -> Asked:
    if len(asked.reason) > MAX_REASON:
        raise InvalidDecision(f"Le motif est limité à {MAX_REASON} caractères.")
    if not asked.target or len(asked.target) > 300:
        raise InvalidDecision("L'élément visé est manquant ou trop long.")
    if bad := [code for code in asked.codes if not REASON_CODE.match(code)]:
        raise InvalidDecision(f"Code de motif invalide : {', '.join(bad)}.")
    if asked.action in (Action.SET_ASIDE_RELEASE, Action.SET_ASIDE_CANCEL) and not asked.kind:
        raise InvalidDecision("Un élément mis de côté se désigne par son type et son identifiant.")
    return asked


async def decide(
    uow: DecisionsWork,
    actor: Actor,
    asked: Asked,
    *,
    topic_prefix: str,
    now: dt.datetime,
) -> Decision:
    """Record a person's decision. Complete at once, it sends its command; needing four eyes, it waits for a
    supervisor other than its author. What is decided on must be in the read model: a claim under review (its
    reason codes there, never the form's, say whether a fraud signal needs a second person), a dead letter (its
    owner receives the command), a set-aside item still held, a claim under control without an outcome."""
    control: ControlTerms | None = None
    if asked.action.is_control:
        asked, control = await control_commands.checked(uow, _validated(asked), now)
        claim_reasons: frozenset[str] = frozenset()
    else:
        asked, claim_reasons = await _checked(uow, _validated(asked))
    decision = four_eyes.request(
        id=uuid.uuid4(),
        action=asked.action,
        service=asked.service,
        target=asked.target,
        kind=asked.kind,
        codes=asked.codes,
        reason=asked.reason,
        login=actor.login,
        role=actor.role,
        now=now,
        claim_reasons=claim_reasons,
        assign_to=asked.assign_to,
        control=control,
    )
    if decision.state == "complete":
        decision = _send(uow, decision, topic_prefix, now)
    await uow.decisions.add(decision)
    await uow.audit(actor.login, "decision_taken", decision, state=decision.state)
    await uow.commit()
    return decision


async def _checked(uow: DecisionsWork, asked: Asked) -> tuple[Asked, frozenset[str]]:
    if asked.action.is_review:
        reasons = await uow.decisions.claim_under_review(asked.target)
        if reasons is None:
            raise NotPending("Ce dossier n'est pas (ou plus) en attente de vérification.")
        return replace(asked, service="eligibility"), reasons
    if asked.action in (Action.DEAD_LETTER_REPLAY, Action.DEAD_LETTER_DISCARD):
        owner = await uow.decisions.dead_letter_owner(asked.target)
        if owner is None:
            raise InvalidDecision("Lettre morte inconnue.")
        return replace(asked, service=owner, kind=None), frozenset()
    if not await uow.decisions.set_aside_held(asked.service, asked.kind or "", asked.target):
        raise NotPending("Cet élément n'est pas (ou plus) mis de côté.")
    return asked, frozenset()


async def second(
    uow: DecisionsWork, actor: Actor, decision_id: uuid.UUID, *, topic_prefix: str, now: dt.datetime
) -> Decision:
    """A supervisor other than the author seconds a pending decision: it is complete and its command leaves."""
    decision = await _existing(uow, decision_id)
    decision = _send(uow, four_eyes.second(decision, login=actor.login, role=actor.role, now=now), topic_prefix, now)
    await uow.decisions.save(decision)
    await uow.audit(actor.login, "decision_seconded", decision, requested_by=decision.requested_by)
    await uow.commit()
    return decision


async def withdraw(uow: DecisionsWork, actor: Actor, decision_id: uuid.UUID, *, now: dt.datetime) -> Decision:
    """The author takes back a decision nobody seconded; nothing is sent."""
    decision = four_eyes.withdraw(await _existing(uow, decision_id), login=actor.login, now=now)
    await uow.decisions.save(decision)
    await uow.audit(actor.login, "decision_withdrawn", decision)
    await uow.commit()
    return decision


async def _existing(uow: DecisionsWork, decision_id: uuid.UUID) -> Decision:
    decision = await uow.decisions.get(decision_id)
    if decision is None:
        raise InvalidDecision("Décision inconnue.")
    return decision


def _send(uow: DecisionsWork, decision: Decision, topic_prefix: str, now: dt.datetime) -> Decision:
    sent = replace(decision, command_id=uuid.uuid4())
    uow.publish([command_for(sent, topic_prefix, now)])
    return sent


def command_for(decision: Decision, topic_prefix: str, now: dt.datetime) -> OutboxMessage:
    """The command event a complete decision sends to the service that owns what it decides on."""
    assert decision.command_id is not None and decision.state == "complete"
    if decision.action.is_control:
        return control_commands.command(decision, topic_prefix, now)
    if decision.action.is_review:
        review = ReviewDecisionV1(
            event_id=decision.command_id,
            occurred_at=now,
            claim_id=decision.target,
            decision="approve" if decision.action is Action.REVIEW_APPROVE else "reject",
            reasons=list(decision.codes),
            decided_by=decision.requested_by,
            seconded_by=decision.seconded_by,
            reason=decision.reason,
        )
        return OutboxMessage.of_event(topic_prefix + REVIEW_DECISIONS.name, decision.target, review)
    command = OperatorCommandV1(
        event_id=decision.command_id,
        occurred_at=now,
        service=decision.service,  # type: ignore[arg-type]  # four_eyes.request checked it is one of SERVICES
        action=decision.action.value,  # type: ignore[arg-type]  # the operator actions share their names
        target=decision.target,
        kind=decision.kind,
        requested_by=decision.requested_by,
        seconded_by=decision.seconded_by,
        reason=decision.reason,
        assign_to=decision.assign_to,
    )
    return OutboxMessage.of_event(topic_prefix + OPERATOR_COMMANDS[decision.service].name, decision.target, command)
