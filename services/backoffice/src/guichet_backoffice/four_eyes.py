"""Four eyes: which decisions need a second person, who may take and second them, and how a decision moves.

Pure domain: no database, no web. A decision is complete at once, or pending until a supervisor other than its
author seconds it (then complete) or its author withdraws it. Needing two people:
- approving a reviewed claim whose reasons carry a fraud signal (INVOICE_REUSED, IBAN_SHARED);
- replaying a dead letter (a record that failed once goes back into a service);
- releasing a blocked payment (a set-aside item of kind `payment_attempt`: money leaves).
Rejecting a claim, discarding a dead letter and any other release or cancel go at once: they are audited, and a
mistaken one is undone by a new decision rather than prevented by a second person.
Post-payment controls (guichet_backoffice.control_rules holds their terms): a supervisor opens a campaign and a
caseworker records a compliant outcome at once; an outcome that orders money back (non-compliant, no answer)
waits for a supervisor other than its author, as a fraud-signal approval does.
Finance (as well as supervisors) decides on bank entries in payments' suspense (kind `bank_entry`): settling one,
to the attempt the person names (`assign_to`) or by its own references, or discarding it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from guichet_backoffice.auth.roles import holds

if TYPE_CHECKING:
    from guichet_backoffice.control_rules import ControlTerms

FRAUD_SIGNALS = frozenset({"INVOICE_REUSED", "IBAN_SHARED"})
BLOCKED_PAYMENT_KIND = "payment_attempt"
BANK_ENTRY_KIND = "bank_entry"
ASSIGN_TO = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,69}:[1-9][0-9]{0,8}\Z")  # <payment_id>:<attempt>
# The services that take its commands; the gateway's are decisions on webhook deliveries it gave up on.
SERVICES = ("intake", "eligibility", "payments", "notifications", "gateway")

State = Literal["pending", "complete", "withdrawn"]


class Action(StrEnum):
    REVIEW_APPROVE = "review_approve"
    REVIEW_REJECT = "review_reject"
    DEAD_LETTER_REPLAY = "dead_letter_replay"
    DEAD_LETTER_DISCARD = "dead_letter_discard"
    SET_ASIDE_RELEASE = "set_aside_release"
    SET_ASIDE_CANCEL = "set_aside_cancel"
    CONTROL_OPEN = "control_open"
    CONTROL_COMPLIANT = "control_compliant"
    CONTROL_NON_COMPLIANT = "control_non_compliant"
    CONTROL_NO_ANSWER = "control_no_answer"

    @property
    def is_review(self) -> bool:
        return self in (Action.REVIEW_APPROVE, Action.REVIEW_REJECT)

    @property
    def is_control(self) -> bool:
        return self.value.startswith("control_")


ACTION_LABELS = {
    Action.REVIEW_APPROVE: "accord d'un dossier en revue",
    Action.REVIEW_REJECT: "rejet d'un dossier en revue",
    Action.DEAD_LETTER_REPLAY: "rejeu d'une lettre morte",
    Action.DEAD_LETTER_DISCARD: "abandon d'une lettre morte",
    Action.SET_ASIDE_RELEASE: "reprise d'un élément mis de côté",
    Action.SET_ASIDE_CANCEL: "annulation d'un élément mis de côté",
    Action.CONTROL_OPEN: "ouverture d'une campagne de contrôle",
    Action.CONTROL_COMPLIANT: "contrôle conclu conforme",
    Action.CONTROL_NON_COMPLIANT: "contrôle conclu non conforme (reversement)",
    Action.CONTROL_NO_ANSWER: "contrôle sans réponse (reversement)",
}
# The outcomes that order money back: four eyes, as for a fraud-signal approval.
RECOVERING_OUTCOMES = frozenset({Action.CONTROL_NON_COMPLIANT, Action.CONTROL_NO_ANSWER})


class DecisionRefused(Exception):
    """A decision the rules refuse; `status` is the HTTP status the web and the API answer with."""

    status = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(DecisionRefused):
    status = 403


class SelfSeconding(NotAllowed):
    pass


class NotPending(DecisionRefused):
    pass


class InvalidDecision(DecisionRefused):
    status = 400


@dataclass(frozen=True)
class Decision:
    id: UUID
    action: Action
    service: str
    target: str  # a claim id, a dead letter's id, or a set-aside item's id
    kind: str | None  # a set-aside item's kind
    codes: tuple[str, ...]  # a rejection's reason codes
    reason: str
    state: State
    requested_by: str
    requested_at: dt.datetime
    seconded_by: str | None = None
    closed_at: dt.datetime | None = None
    command_id: UUID | None = None
    # Where a bank entry is settled (`<payment_id>:<attempt>`): carried by its command, not stored (a bank entry's
    # release is complete at once, so it never waits for a second person); the audit row records it.
    assign_to: str | None = None
    # A control decision's terms (campaign or outcome): stored with it, carried by its command, audited.
    control: ControlTerms | None = None


def needs_second_person(
    action: Action, *, claim_reasons: frozenset[str] = frozenset(), kind: str | None = None
) -> bool:
    if action is Action.REVIEW_APPROVE:
        return not FRAUD_SIGNALS.isdisjoint(claim_reasons)
    if action is Action.DEAD_LETTER_REPLAY or action in RECOVERING_OUTCOMES:
        return True
    return action is Action.SET_ASIDE_RELEASE and kind == BLOCKED_PAYMENT_KIND


def may_request(role: str, action: Action, kind: str | None = None) -> bool:
    """Caseworkers (and supervisors) decide on reviewed claims and record controls' outcomes; supervisors open
    control campaigns and work dead letters and set-aside items; finance works bank entries in suspense too."""
    if action.is_review or action in (Action.CONTROL_COMPLIANT, *RECOVERING_OUTCOMES):
        return holds(role, "caseworker")
    if kind == BANK_ENTRY_KIND and action in (Action.SET_ASIDE_RELEASE, Action.SET_ASIDE_CANCEL):
        return holds(role, "supervisor", "finance")
    return holds(role, "supervisor")


# What the command events carry (WrittenReason in the back-office contracts), and what PostgreSQL and a terminal
# can take: a NUL would fail the transaction, an escape sequence would rewrite a reader's terminal.
REASON_MAX_LENGTH = 2000
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def request(
    *,
    id: UUID,
    action: Action,
    service: str,
    target: str,
    kind: str | None,
    codes: tuple[str, ...],
    reason: str,
    login: str,
    role: str,
    now: dt.datetime,
    claim_reasons: frozenset[str] = frozenset(),
    assign_to: str | None = None,
    control: ControlTerms | None = None,
) -> Decision:
    """A person's decision: complete at once, or pending when it needs a second person."""
    if not may_request(role, action, kind):
        raise NotAllowed("Votre rôle ne permet pas cette décision.")
    if not reason.strip():
        raise InvalidDecision("Une décision s'accompagne toujours d'un motif écrit.")
    if len(reason.strip()) > REASON_MAX_LENGTH or _CONTROL_CHARACTERS.search(reason):
        raise InvalidDecision(
            f"Le motif tient en {REASON_MAX_LENGTH} caractères au plus, sans caractère de contrôle (retours à la"
            " ligne et tabulations permis)."
        )
    if service not in SERVICES:
        raise InvalidDecision(f"Service inconnu : {service}.")
    if assign_to is not None:
        if action is not Action.SET_ASIDE_RELEASE or kind != BANK_ENTRY_KIND:
            raise InvalidDecision("Seule une écriture bancaire en suspens s'affecte à une tentative de paiement.")
        if not ASSIGN_TO.match(assign_to):
            raise InvalidDecision("La tentative se désigne par <paiement>:<numéro de tentative>.")
    pending = needs_second_person(action, claim_reasons=claim_reasons, kind=kind)
    return Decision(
        id=id,
        action=action,
        service=service,
        target=target,
        kind=kind,
        codes=codes,
        reason=reason.strip(),
        state="pending" if pending else "complete",
        requested_by=login,
        requested_at=now,
        closed_at=None if pending else now,
        assign_to=assign_to,
        control=control,
    )


def second(decision: Decision, *, login: str, role: str, now: dt.datetime) -> Decision:
    """A supervisor who is not the author seconds a pending decision, which becomes complete."""
    if decision.requested_by == login:
        raise SelfSeconding("Vous ne pouvez pas approuver votre propre décision : une autre personne doit le faire.")
    if not holds(role, "supervisor"):
        raise NotAllowed("Seul un superviseur peut approuver la décision d'un autre.")
    if decision.state != "pending":
        raise NotPending("Cette décision n'attend plus de seconde approbation.")
    return replace(decision, state="complete", seconded_by=login, closed_at=now)


def withdraw(decision: Decision, *, login: str, now: dt.datetime) -> Decision:
    """The author takes back a decision nobody has seconded yet."""
    if decision.requested_by != login:
        raise NotAllowed("Seul l'auteur d'une décision peut la retirer.")
    if decision.state != "pending":
        raise NotPending("Cette décision n'attend plus de seconde approbation.")
    return replace(decision, state="withdrawn", closed_at=now)
