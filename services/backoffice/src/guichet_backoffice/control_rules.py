"""The terms of a control decision, as pure rules: a campaign's id, seed and cut-off, and an outcome's reason and
amount. No I/O: the use case (control_commands) gives them what the read model says of the claim.

The outcome's reason codes are the catalogue's non-compliance codes (those on `recovery_ordered`; a unit test keeps
this list and the catalogue together). A no-answer outcome orders the whole grant back under CONTROL_NO_ANSWER;
whether its reply deadline has passed is payments' to judge, on its own clock (it refuses the command otherwise).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from guichet_backoffice.four_eyes import Action, InvalidDecision

PARIS = ZoneInfo("Europe/Paris")
NO_ANSWER = "CONTROL_NO_ANSWER"
NON_COMPLIANCE_CODES = (
    "CONTROL_INVOICE_UNPAID",
    "CONTROL_INVOICE_NOT_GENUINE",
    "CONTROL_SERVICE_NOT_DELIVERED",
    "CONTROL_EXPENSE_INELIGIBLE",
    "CONTROL_CONDITIONS_NOT_MET",
)
OUTCOMES = {
    "compliant": Action.CONTROL_COMPLIANT,
    "non_compliant": Action.CONTROL_NON_COMPLIANT,
    "no_answer": Action.CONTROL_NO_ANSWER,
}
SEED_LIMIT = 2**63
_PROGRAMME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}\Z")


@dataclass(frozen=True)
class ControlTerms:
    """What a control decision says beyond its target: a campaign's, or an outcome's."""

    campaign_id: str | None = None
    programme: str | None = None
    seed: int | None = None
    paid_before: dt.datetime | None = None
    outcome: str | None = None
    reason_code: str | None = None
    amount_undue_cents: int | None = None


def campaign_id(now: dt.datetime, token: str) -> str:
    """`C-<yyyymmdd>-<8 hex>`: the Paris date it was opened on, and 8 random hex digits (`token`)."""
    if not re.fullmatch(r"[0-9a-f]{8}", token):
        raise ValueError("a campaign token is 8 lower-case hex digits")
    return f"C-{now.astimezone(PARIS):%Y%m%d}-{token}"


def campaign(
    *, programme: str, seed: int | None, paid_before: dt.datetime | None, now: dt.datetime, token: str, drawn: int
) -> ControlTerms:
    """A campaign's terms: its seed (`drawn` when none is given) and cut-off (now when none is given)."""
    if not _PROGRAMME.match(programme):
        raise InvalidDecision("Programme inconnu : nommez-le comme dans son fichier (ex. cheque-france-num-2021).")
    chosen = drawn if seed is None else seed
    if isinstance(chosen, bool) or not isinstance(chosen, int) or not 0 <= chosen < SEED_LIMIT:
        raise InvalidDecision("La graine est un entier entre 0 et 2^63 - 1.")
    cut_off = now if paid_before is None else paid_before
    if cut_off.tzinfo is None:
        raise InvalidDecision("La date limite de paiement précise son fuseau horaire.")
    if cut_off > now:
        raise InvalidDecision("La date limite de paiement ne peut pas être dans le futur.")
    return ControlTerms(campaign_id(now, token), programme, chosen, cut_off)


def outcome(
    action: Action, *, campaign: str, reason_code: str | None, amount_undue_cents: int | None, paid_cents: int
) -> ControlTerms:
    """An outcome's terms, checked against what was paid for the claim."""
    if action is Action.CONTROL_COMPLIANT:
        if reason_code or amount_undue_cents:
            raise InvalidDecision("Un contrôle conforme n'a ni motif de non-conformité ni montant à reverser.")
        return ControlTerms(campaign_id=campaign, outcome="compliant")
    if action is Action.CONTROL_NO_ANSWER:
        if reason_code not in (None, "", NO_ANSWER) or amount_undue_cents not in (None, paid_cents):
            raise InvalidDecision("Sans réponse, toute l'aide est à reverser, sous le motif CONTROL_NO_ANSWER.")
        return ControlTerms(
            campaign_id=campaign, outcome="no_answer", reason_code=NO_ANSWER, amount_undue_cents=paid_cents
        )
    if action is not Action.CONTROL_NON_COMPLIANT:
        raise InvalidDecision("Issue de contrôle inconnue.")
    if reason_code not in NON_COMPLIANCE_CODES:
        raise InvalidDecision("Choisissez le motif de non-conformité parmi : " + ", ".join(NON_COMPLIANCE_CODES) + ".")
    if isinstance(amount_undue_cents, bool) or not isinstance(amount_undue_cents, int):
        raise InvalidDecision("Indiquez le montant à reverser.")
    if not 1 <= amount_undue_cents <= paid_cents:
        raise InvalidDecision("Le montant à reverser est compris entre 0,01 € et le montant versé.")
    return ControlTerms(
        campaign_id=campaign, outcome="non_compliant", reason_code=reason_code, amount_undue_cents=amount_undue_cents
    )
