"""What applicants are told, in French and plain words. Pure functions: no I/O, no templates engine needed."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from guichet_common.safe_text import printable
from guichet_notifications import control_letters
from guichet_notifications.wording import euros, reason_lines

# The sentence for each reason code comes from the published catalogue (guichet_common.contracts.reason_codes),
# which the edge hands to `compose`: one source for the e-mails, the gateway's API and docs/reason-codes.md.
__all__ = ["euros", "reason_lines"]  # the wording helpers, long imported from here

# Who signs an e-mail about a programme we do not run: the applicant's own text for it is never repeated back, in
# a subject least of all, since a subject sent from the official address is the first line of a phishing mail.
UNKNOWN_PROGRAMME_NAME = "Guichet des aides"
# A claim reference we repeat to the applicant or put in a Message-ID. The contract's claim_id pattern, checked
# whole: `$` in a regex also accepts a trailing newline, \Z does not.
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}\Z")


@dataclass(frozen=True)
class Contact:
    """Where to write about one claim (the first one learnt wins, unless a person's rectification replaces it)."""

    claim_id: str
    programme: str
    email: str
    full_name: str
    iban_last4: str | None = None
    rectified: bool = False  # a person corrected it (privacy_rectify, through intake): it replaces the one kept


@dataclass(frozen=True)
class OwedEmail:
    """One e-mail a status change (or a control's or recovery order's step) earns the applicant: at most one per
    claim and kind, ever."""

    claim_id: str
    kind: str  # the claim status it announces, or a control or recovery kind (control_letters)
    programme: str
    reasons: tuple[str, ...] = ()
    amount_cents: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)  # what else the letter repeats (dates, reference...)


@dataclass(frozen=True)
class DueEmail:
    """An owed e-mail taken for sending (already on record as 'sending'), with its claim's contact."""

    id: int  # the e-mail's own number, which operators name it by
    claim_id: str
    kind: str
    programme: str
    reasons: tuple[str, ...]
    amount_cents: int | None
    attempts: int  # including this one
    email: str
    full_name: str
    iban_last4: str | None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str


@dataclass(frozen=True)
class Occasion:
    kind: str  # the claim status this e-mail announces
    claim_id: str
    programme_name: str
    full_name: str
    reasons: tuple[str, ...] = ()
    amount_cents: int | None = None
    iban_last4: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


def is_reference(claim_id: str) -> bool:
    return _REFERENCE.match(claim_id) is not None


def compose(o: Occasion, sentences: Mapping[str, str]) -> Letter:
    """The e-mail for one status change of one claim, its reasons told in `sentences` (the applicant's sentence of
    each code). The subject is made of configured text only (the programme's name, a fixed phrase per kind); the
    body repeats the reference only when it is one."""
    ref = (
        f"Référence de votre demande : {o.claim_id}"
        if is_reference(o.claim_id)
        else "Votre demande ne portait pas de référence lisible."
    )
    content = _CONTENT.get(o.kind) or control_letters.content(o.kind)
    if content is None:
        raise ValueError(f"no e-mail text for {printable(o.kind, 40)!r}")
    subject, middle = content(o, sentences)
    body = f"Bonjour {printable(o.full_name, 200)},\n\n{middle}\n\n{ref}\n\nL'équipe {o.programme_name}\n"
    return Letter(subject=f"{o.programme_name} – {subject}", body=body)


_CONTENT: dict[str, Callable[[Occasion, Mapping[str, str]], tuple[str, str]]] = {
    "received": lambda o, s: ("demande reçue", "Nous avons bien reçu votre demande. Nous l'étudions."),
    "refused": lambda o, s: (
        "demande non enregistrée",
        "Votre demande n'a pas pu être enregistrée :\n"
        + reason_lines(o.reasons, s)
        + "\n\nVous pouvez déposer une nouvelle demande corrigée.",
    ),
    "rejected": lambda o, s: (
        "demande refusée",
        "Nous ne pouvons pas accorder l'aide, pour la ou les raisons suivantes :\n" + reason_lines(o.reasons, s),
    ),
    "under_review": lambda o, s: (
        "demande en cours de vérification",
        "Votre demande doit être vérifiée par un agent avant décision :\n"
        + reason_lines(o.reasons, s)
        + "\n\nVous n'avez rien à faire pour l'instant.",
    ),
    "approved": lambda o, s: ("aide accordée", "Bonne nouvelle : l'aide vous est accordée. Le paiement va suivre."),
    "waitlisted": lambda o, s: (
        "demande en liste d'attente",
        "Votre demande est acceptée, mais l'enveloppe est épuisée pour le moment. Elle est en liste d'attente, "
        "dans l'ordre d'arrivée, et sera payée dès que des fonds se libèrent.",
    ),
    "payment_sent": lambda o, s: (
        "paiement envoyé",
        f"Le virement de {euros(o.amount_cents or 0)} est parti vers votre compte se terminant par "
        f"{o.iban_last4 or '????'}. Il arrive en général sous quelques jours.",
    ),
    "payment_returned": lambda o, s: (
        "paiement revenu",
        "Votre banque a renvoyé le virement. Indiquez de nouvelles coordonnées bancaires sur le portail "
        "pour que nous puissions vous payer.",
    ),
}
KINDS = frozenset(_CONTENT)  # the statuses that can mail someone (NOTIFICATIONS_EMAIL_STATUSES picks among them)


def is_kind(kind: str) -> bool:
    """An e-mail this service can write: a status of KINDS, or a control's or recovery order's step."""
    return kind in KINDS or control_letters.content(kind) is not None


def message_id(claim_id: str, kind: str, domain: str, email_id: int) -> str:
    """Stable per (claim, kind): a mail system that sees it twice can tell it is the same message. A claim_id that
    is not a reference is replaced by the e-mail's own number (a dot: no reference has one, so no clash)."""
    if not is_kind(kind):
        raise ValueError(f"no e-mail text for status {printable(kind, 40)!r}")
    return f"<{claim_id if is_reference(claim_id) else f'email.{email_id}'}.{kind}@{domain}>"
