"""What applicants are told, in French and plain words. Pure functions: no I/O, no templates engine needed."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from guichet_common.safe_text import printable

# One sentence a shopkeeper understands per reason code.
REASON_SENTENCES: dict[str, str] = {
    # Refusals at intake: the claim could not be registered.
    "SCHEMA_INVALID": "Votre demande est incomplète ou mal remplie.",
    "SIREN_INVALID": "Le numéro SIREN indiqué contient une erreur.",
    "SIRET_INVALID": "Le numéro SIRET indiqué contient une erreur ou ne correspond pas à votre SIREN.",
    "IBAN_INVALID": "L'IBAN indiqué n'est pas valable.",
    "UNKNOWN_PROGRAMME": "Le dispositif demandé n'existe pas.",
    "CLAIM_ID_CONFLICT": "Une autre demande porte déjà cette référence.",
    "BIC_INVALID": "Le code BIC de votre banque n'est pas valable.",
    "HOLDER_NAME_UNWRITABLE": "Le nom du titulaire du compte ne peut pas figurer sur un virement : écrivez-le en "
    "lettres latines.",
    "TEXT_CONTROL_CHARACTERS": "Votre demande contient des caractères invisibles ou de contrôle que nous ne pouvons "
    "pas enregistrer.",
    "DATE_OUT_OF_RANGE": "Une des dates indiquées n'est pas plausible.",
    "AMOUNTS_INCONSISTENT": "Sur une de vos factures, le montant hors taxes ne correspond pas au montant toutes "
    "taxes comprises.",
    # Rejections: the claim was registered but does not meet the programme's conditions.
    "FILED_OUTSIDE_WINDOW": "La demande a été déposée en dehors de la période d'ouverture du dispositif.",
    "COMPANY_CEASED": "Le répertoire des entreprises indique que votre entreprise a cessé son activité.",
    "HEADCOUNT_TOO_HIGH": "Votre entreprise compte trop de salariés pour ce dispositif.",
    "TURNOVER_TOO_HIGH": "Le chiffre d'affaires de votre entreprise dépasse le plafond du dispositif.",
    "ACTIVITY_TOO_RECENT": "Votre activité a commencé trop récemment pour ce dispositif.",
    "NOT_CLOSED_TO_PUBLIC": "Votre établissement n'a pas été fermé au public, ce qui était alors une condition.",
    "NOT_REGISTERED_RCS_RM": "Votre entreprise n'est pas inscrite au registre du commerce ou au répertoire des "
    "métiers.",
    "MANAGER_EMPLOYED_FULL_TIME": "Le dirigeant d'une entreprise sans salarié ne doit pas être salarié à temps plein "
    "par ailleurs.",
    "DECLARATION_MISSING": "Une des déclarations sur l'honneur n'a pas été cochée.",
    "OVERSEAS_EXCLUDED": "Le dispositif ne couvre pas le territoire où se trouve votre entreprise.",
    "FILED_BY_DIGITAL_PROVIDER": "La demande doit être déposée par l'entreprise ou son comptable, pas par un "
    "prestataire numérique.",
    "EXPENSES_BELOW_MINIMUM": "Le montant de vos factures éligibles n'atteint pas le minimum demandé.",
    "ALREADY_AIDED": "Votre entreprise a déjà bénéficié de cette aide ou a une autre demande en cours.",
    "REJECTED_AFTER_REVIEW": "Après vérification par un agent, votre demande ne peut pas être acceptée.",
    # Reasons for a manual check before any decision.
    "REGISTRY_NO_RECORD": "Nous n'avons pas trouvé votre entreprise dans le répertoire des entreprises.",
    "INVOICE_REUSED": "Une de vos factures figure aussi sur la demande d'une autre entreprise.",
    "IBAN_SHARED": "Le compte bancaire indiqué figure sur les demandes de plusieurs entreprises.",
    # Payments.
    "BUDGET_EXHAUSTED": "L'enveloppe du dispositif est épuisée pour le moment.",
    "PAYMENT_BLOCKED": "Le virement ne peut pas partir pour le moment : un agent vérifie votre dossier.",
    "PAYMENT_CANCELLED": "Le paiement a été annulé par un agent : l'aide ne sera pas versée pour cette demande.",
    "BANK_FILE_REJECTED": "Le fichier de virements a été refusé par la banque : votre paiement repart dans le prochain "
    "envoi.",
}
_UNKNOWN_REASON = "Une condition du dispositif n'est pas remplie."

# Who signs an e-mail about a programme we do not run: the applicant's own text for it is never repeated back, in
# a subject least of all, since a subject sent from the official address is the first line of a phishing mail.
UNKNOWN_PROGRAMME_NAME = "Guichet des aides"
# A claim reference we repeat to the applicant or put in a Message-ID. The contract's claim_id pattern, checked
# whole: `$` in a regex also accepts a trailing newline, \Z does not.
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}\Z")


@dataclass(frozen=True)
class Contact:
    """Where to write about one claim (the first one learnt wins)."""

    claim_id: str
    programme: str
    email: str
    full_name: str
    iban_last4: str | None = None


@dataclass(frozen=True)
class OwedEmail:
    """One e-mail a status change earns the applicant: at most one per claim and kind, ever."""

    claim_id: str
    kind: str  # the claim status it announces
    programme: str
    reasons: tuple[str, ...] = ()
    amount_cents: int | None = None


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


def euros(cents: int) -> str:
    whole, rest = divmod(cents, 100)
    return f"{whole:,}".replace(",", "\u202f") + (f",{rest:02d}" if rest else "") + " €"


def reason_lines(codes: tuple[str, ...]) -> str:
    return "\n".join(f"- {REASON_SENTENCES.get(code, _UNKNOWN_REASON)}" for code in codes)


def is_reference(claim_id: str) -> bool:
    return _REFERENCE.match(claim_id) is not None


def compose(o: Occasion) -> Letter:
    """The e-mail for one status change of one claim. The subject is made of configured text only (the programme's
    name, a fixed phrase per kind); the body repeats the reference only when it is one."""
    ref = (
        f"Référence de votre demande : {o.claim_id}"
        if is_reference(o.claim_id)
        else "Votre demande ne portait pas de référence lisible."
    )
    subject, middle = _CONTENT[o.kind](o)
    body = f"Bonjour {printable(o.full_name, 200)},\n\n{middle}\n\n{ref}\n\nL'équipe {o.programme_name}\n"
    return Letter(subject=f"{o.programme_name} – {subject}", body=body)


_CONTENT: dict[str, Callable[[Occasion], tuple[str, str]]] = {
    "received": lambda o: ("demande reçue", "Nous avons bien reçu votre demande. Nous l'étudions."),
    "refused": lambda o: (
        "demande non enregistrée",
        "Votre demande n'a pas pu être enregistrée :\n"
        + reason_lines(o.reasons)
        + "\n\nVous pouvez déposer une nouvelle demande corrigée.",
    ),
    "rejected": lambda o: (
        "demande refusée",
        "Nous ne pouvons pas accorder l'aide, pour la ou les raisons suivantes :\n" + reason_lines(o.reasons),
    ),
    "under_review": lambda o: (
        "demande en cours de vérification",
        "Votre demande doit être vérifiée par un agent avant décision :\n"
        + reason_lines(o.reasons)
        + "\n\nVous n'avez rien à faire pour l'instant.",
    ),
    "approved": lambda o: ("aide accordée", "Bonne nouvelle : l'aide vous est accordée. Le paiement va suivre."),
    "waitlisted": lambda o: (
        "demande en liste d'attente",
        "Votre demande est acceptée, mais l'enveloppe est épuisée pour le moment. Elle est en liste d'attente, "
        "dans l'ordre d'arrivée, et sera payée dès que des fonds se libèrent.",
    ),
    "payment_sent": lambda o: (
        "paiement envoyé",
        f"Le virement de {euros(o.amount_cents or 0)} est parti vers votre compte se terminant par "
        f"{o.iban_last4 or '????'}. Il arrive en général sous quelques jours.",
    ),
    "payment_returned": lambda o: (
        "paiement revenu",
        "Votre banque a renvoyé le virement. Indiquez de nouvelles coordonnées bancaires sur le portail "
        "pour que nous puissions vous payer.",
    ),
}
KINDS = frozenset(_CONTENT)


def message_id(claim_id: str, kind: str, domain: str, email_id: int) -> str:
    """Stable per (claim, kind): a mail system that sees it twice can tell it is the same message. A claim_id that
    is not a reference is replaced by the e-mail's own number (a dot: no reference has one, so no clash)."""
    if kind not in KINDS:
        raise ValueError(f"no e-mail text for status {printable(kind, 40)!r}")
    return f"<{claim_id if is_reference(claim_id) else f'email.{email_id}'}.{kind}@{domain}>"
