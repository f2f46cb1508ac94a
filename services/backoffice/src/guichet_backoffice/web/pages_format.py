"""How the pages write money, counts, moments, statuses and personal data for people: French conventions, Paris
time, and personal data masked unless a person asked (and the audit trail recorded it).

Pure: no I/O. Registered as Jinja2 filters by `pages_templates`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from guichet_common.logging import MASK, mask_personal_data, mask_text
from guichet_common.safe_text import printable

PARIS = ZoneInfo("Europe/Paris")

# Every status a page shows, in words: a badge's colour only repeats what its text says (RGAA 3.1).
CLAIM_STATUSES = {
    "received": "reçue",
    "registered": "enregistrée",
    "refused": "refusée à l'enregistrement",
    "awaiting_registry": "en attente du répertoire",
    "under_review": "en vérification manuelle",
    "approved": "accordée",
    "rejected": "rejetée",
    "waitlisted": "en liste d'attente",
    "paid": "payée",
    "payment_scheduled": "paiement programmé",
    "payment_sent": "paiement envoyé",
    "payment_settled": "paiement réglé",
    "payment_returned": "paiement revenu",
    "payment_failed": "paiement en échec",
    "cancelled": "annulée",
    "under_control": "sous contrôle",
    "control_closed": "contrôle clos, conforme",
    "recovery_ordered": "reversement ordonné",
    "recovered": "aide reversée",
}
CONTROL_OUTCOMES = {
    "none": "sans issue",
    "compliant": "conforme",
    "non_compliant": "non conforme",
    "no_answer": "sans réponse",
}
RECOVERY_STATES = {"outstanding": "à reverser", "settled": "soldé", "in_collection": "transmis au recouvrement"}
PAYMENT_STATUSES = {
    "scheduled": "programmé",
    "sent": "envoyé",
    "settled": "réglé",
    "returned": "revenu",
    "released": "annulé, réservation rendue",
    "blocked": "bloqué",
}
# What each eligibility rule checks, in a few words (eligibility's explain.py says the full sentence; a service may
# not import another, and the judgement carries codes and values): a caseworker reads this before the values.
RULE_TITLES = {
    "FILED_OUTSIDE_WINDOW": "Dépôt dans la période ouverte",
    "COMPANY_CEASED": "Entreprise active au répertoire",
    "HEADCOUNT_TOO_HIGH": "Effectif sous le plafond",
    "TURNOVER_TOO_HIGH": "Chiffre d'affaires sous le plafond",
    "ACTIVITY_TOO_RECENT": "Activité assez ancienne",
    "NOT_CLOSED_TO_PUBLIC": "Fermeture au public (ou hôtellerie)",
    "NOT_REGISTERED_RCS_RM": "Immatriculation au RCS ou au RM",
    "MANAGER_EMPLOYED_FULL_TIME": "Dirigeant non salarié à temps plein",
    "DECLARATION_MISSING": "Déclarations sur l'honneur",
    "OVERSEAS_EXCLUDED": "Territoire couvert",
    "FILED_BY_DIGITAL_PROVIDER": "Déposant admis",
    "EXPENSES_BELOW_MINIMUM": "Dépenses éligibles au-dessus du minimum",
    "ALREADY_AIDED": "Pas d'autre demande aidée",
    "REGISTRY_NO_RECORD": "Fiche au répertoire",
    "INVOICE_REUSED": "Factures propres à cette demande (signal de fraude)",
    "IBAN_SHARED": "IBAN propre à l'entreprise (signal de fraude)",
}
DEAD_LETTER_STATES = {"waiting": "en attente", "replayed": "rejouée", "discarded": "abandonnée"}
SET_ASIDE_STATES = {"held": "en attente d'une décision", "released": "relâché", "cancelled": "annulé"}
EMAIL_OUTCOMES = {"sent": "envoyé", "failed": "abandonné (impossible à envoyer)"}
DECISIONS = {"approve": "accorder", "reject": "rejeter"}
# The tone of a badge, for its border style; the words above carry the meaning.
TONES = {
    "approved": "ok",
    "paid": "ok",
    "settled": "ok",
    "payment_settled": "ok",
    "sent": "ok",
    "released": "ok",
    "rejected": "bad",
    "refused": "bad",
    "returned": "bad",
    "payment_returned": "bad",
    "failed": "bad",
    "cancelled": "bad",
    "under_review": "wait",
    "awaiting_registry": "wait",
    "waitlisted": "wait",
    "held": "wait",
    "blocked": "wait",
    "waiting": "wait",
    "replayed": "ok",
    "discarded": "bad",
    "under_control": "wait",
    "control_closed": "ok",
    "recovery_ordered": "bad",
    "recovered": "ok",
    "compliant": "ok",
    "non_compliant": "bad",
    "no_answer": "bad",
    "outstanding": "wait",
    "in_collection": "bad",
}


def outside(value: object, max_length: int | None = None) -> str:
    """Text from an applicant or a Kafka record, with control and bidi characters written out, not obeyed (the
    markup itself is escaped by Jinja2's autoescape)."""
    return printable("" if value is None else str(value), max_length)


def count(n: int | None) -> str:
    return "—" if n is None else f"{n:,}".replace(",", "\u202f")


def euros(cents: int | None) -> str:
    if cents is None:
        return "—"
    sign, cents = ("-" if cents < 0 else ""), abs(round(cents))
    whole, rest = divmod(cents, 100)
    return f"{sign}{count(whole)},{rest:02d}\u00a0€"


def paris(moment: dt.datetime | dt.date | None) -> str:
    if moment is None:
        return "—"
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
    return moment.strftime("%d/%m/%Y")


def iso(moment: dt.datetime | dt.date | None) -> str:
    """The machine-readable form for a <time datetime=...> element."""
    return "" if moment is None else moment.isoformat()


def age(moment: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """How long ago, in whole days (the review queue's unit), or hours under a day."""
    if moment is None:
        return "—"
    now = now or dt.datetime.now(dt.UTC)
    seconds = max(0.0, (now - moment).total_seconds())
    if seconds < 86400:
        return f"{seconds / 3600:.0f}\u00a0h"
    days = int(seconds // 86400)
    return f"{days}\u00a0jour" + ("s" if days > 1 else "")


def status_label(status: str | None, labels: Mapping[str, str] = CLAIM_STATUSES) -> str:
    return "—" if status is None else labels.get(status, status)


def tone(status: str | None) -> str:
    return TONES.get(status or "", "neutral")


def masked_email(address: str | None) -> str:
    """An address as the pages show it by default: its first character and its top-level domain only."""
    if not address:
        return "—"
    local, _, domain = address.partition("@")
    tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
    return f"{local[:1]}{MASK}@{MASK}" + (f".{outside(tld, 10)}" if tld else "")


def _parsed(payload: object) -> tuple[Any, str | None]:
    """(the JSON value, None), or (None, the text) when the payload is not JSON."""
    text = payload.decode("utf-8", "backslashreplace") if isinstance(payload, bytes) else payload
    if not isinstance(text, str):
        return text, None
    try:
        return json.loads(text), None
    except ValueError:
        return None, text


def masked_payload(payload: object) -> str:
    """A dead letter's payload for the page: JSON pretty-printed with personal fields and anything shaped like an
    IBAN or an e-mail address masked; text that is not JSON is masked as text."""
    value, text = _parsed(payload)
    if text is not None:
        return outside_block(mask_text(text))
    masked = mask_personal_data(None, "", {"payload": value})["payload"]
    return outside_block(json.dumps(masked, ensure_ascii=False, indent=2, default=str))


def plain_payload(payload: object) -> str:
    """The same payload unmasked, for a person whose request to see it the audit trail has recorded."""
    value, text = _parsed(payload)
    if text is not None:
        return outside_block(text)
    return outside_block(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def outside_block(text: str) -> str:
    """Several lines of outside text: each line made printable, the line breaks kept."""
    return "\n".join(outside(line) for line in text.split("\n"))


def masked_text(value: object, max_length: int | None = 2000) -> str:
    """Free text from outside (an error message, a header) with IBANs and e-mail addresses masked."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "backslashreplace")
    return outside(mask_text("" if value is None else str(value)), max_length)


def plain_text(value: object, max_length: int | None = 2000) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "backslashreplace")
    return outside(value, max_length)


def observed_value(value: object) -> str:
    """A rule's observed value as one short line: lists joined, mappings as key = value, booleans in French."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list | tuple):
        return ", ".join(observed_value(v) for v in value) or "aucun"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} = {observed_value(v)}" for k, v in value.items()) or "—"
    return outside(mask_text(str(value)) if isinstance(value, str) else value, 200)


FILTERS = {
    "count": count,
    "euros": euros,
    "paris": paris,
    "iso": iso,
    "age": age,
    "status_label": status_label,
    "tone": tone,
    "masked_email": masked_email,
    "masked_payload": masked_payload,
    "plain_payload": plain_payload,
    "observed_value": observed_value,
    "outside": outside,
    "rule_title": lambda code: RULE_TITLES.get(code, ""),
    "masked_text": masked_text,
    "plain_text": plain_text,
}
