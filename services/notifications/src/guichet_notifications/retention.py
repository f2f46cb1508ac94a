"""The retention clock, as rules: each claim's latest status, when its personal data expires, and whether a person's
request to erase it now can be granted. Pure functions: no I/O.

Notifications follows every claim's statuses (docs/privacy.md): the contact data (name, e-mail address, the
e-mails written) expires `contact_months` after the claim's final status, the bank data (the IBAN's last digits
here) `bank_months` after the payment is final (`paid`), or after the claim's final status when it is never paid.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

# A claim's last word: nothing more will happen to it. A post-payment control reopens a paid claim
# (`under_control`, then `recovery_ordered` while money is owed back: not final, its data stays); its close
# (`control_closed`) or the order's repayment (`recovered`) is the claim's last word again and restarts the clock.
FINAL_STATUSES = frozenset({"refused", "rejected", "paid", "control_closed", "recovered"})
SETTLED_STATUSES = FINAL_STATUSES
PAID = "paid"

# Why an erasure asked for now is refused: the code first (the console prints it), then French words.
REFUSALS: dict[str, tuple[str, str]] = {
    "under_review": (
        "ERASURE_REFUSED_UNDER_REVIEW",
        "la demande est en cours de vérification : ses données restent nécessaires à la décision",
    ),
    "under_control": (
        "ERASURE_REFUSED_UNDER_CONTROL",
        "la demande fait l'objet d'un contrôle : ses données restent nécessaires au contrôle",
    ),
    "recovery": (
        "ERASURE_REFUSED_UNDER_CONTROL",
        "un ordre de reversement de l'aide est en cours : ses données restent nécessaires au recouvrement",
    ),
    "payment": (
        "ERASURE_REFUSED_PAYMENT_IN_PROGRESS",
        "le paiement de l'aide est en cours : les coordonnées restent nécessaires au versement",
    ),
    "not_final": (
        "ERASURE_REFUSED_NOT_FINAL",
        "la demande n'a pas encore de décision définitive",
    ),
}
_REFUSAL_OF_STATUS = {
    "under_review": "under_review",
    "under_control": "under_control",
    "recovery_ordered": "recovery",
    "approved": "payment",
    "waitlisted": "payment",
    "payment_scheduled": "payment",
    "payment_sent": "payment",
    "payment_returned": "payment",
}


def add_months(at: dt.datetime, months: int) -> dt.datetime:
    """`at` moved by whole calendar months: the same day of the month, or the month's last day when it has fewer
    (31 January + 1 month = 28 or 29 February), the time of day unchanged."""
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class StatusChange:
    claim_id: str
    programme: str
    status: str
    at: dt.datetime


@dataclass(frozen=True)
class ClaimTrack:
    """What the clock knows of one claim: its latest status and when it became final and paid."""

    claim_id: str
    programme: str
    status: str
    status_at: dt.datetime
    final_at: dt.datetime | None = None
    paid_at: dt.datetime | None = None

    @property
    def settled(self) -> bool:
        """Its data may go: nothing is under way that still needs it."""
        return self.status in SETTLED_STATUSES


@dataclass(frozen=True)
class RetentionPeriods:
    """A programme's `[retention]` section, in months."""

    contact_months: int
    bank_months: int


@dataclass(frozen=True)
class Deadlines:
    contact: dt.datetime | None
    bank: dt.datetime | None


def follow(track: ClaimTrack | None, change: StatusChange) -> ClaimTrack:
    """The claim after `change`. A status older than the latest one known (a replayed dead letter) changes nothing;
    a final status restarts the clock (a rejection upheld, then paid after an appeal, counts from the payment)."""
    if track is not None and change.at < track.status_at:
        return track
    final_at = change.at if change.status in FINAL_STATUSES else (track.final_at if track else None)
    paid_at = change.at if change.status == PAID else (track.paid_at if track else None)
    return ClaimTrack(change.claim_id, change.programme, change.status, change.at, final_at, paid_at)


def deadlines(track: ClaimTrack, periods: RetentionPeriods) -> Deadlines:
    """When each kind of the claim's data expires; None while the claim has no final status."""
    if track.final_at is None:
        return Deadlines(None, None)
    return Deadlines(
        contact=add_months(track.final_at, periods.contact_months),
        bank=add_months(track.paid_at or track.final_at, periods.bank_months),
    )


@dataclass(frozen=True)
class ErasureDecision:
    """A person's request to erase one claim's data now: granted (code None) or refused with a code and why."""

    claim_id: str
    status: str | None  # the claim's latest status when it was decided
    code: str | None = None
    words: str = ""

    @property
    def accepted(self) -> bool:
        return self.code is None

    @property
    def detail(self) -> str:
        if self.code is None:
            return f"{self.claim_id} : effacement accepté"
        return f"{self.code} : {self.claim_id} : {self.words}"


def decide_erasure(claim_id: str, track: ClaimTrack | None) -> ErasureDecision:
    """Granted only when the claim is settled (final, or its control closed after the payment)."""
    if track is None:
        code, words = REFUSALS["not_final"]
        return ErasureDecision(claim_id, None, code, "aucun statut connu pour cette demande")
    if track.settled:
        return ErasureDecision(claim_id, track.status)
    code, words = REFUSALS[_REFUSAL_OF_STATUS.get(track.status, "not_final")]
    return ErasureDecision(claim_id, track.status, code, words)
