"""A claim's story for its page, in French: every status, judgement, e-mail and payment attempt in time order.
Pure: it is given what the read model holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# Which service announces a status (claims.status.v1 does not say).
STATUS_SERVICES = {
    "received": "intake",
    "refused": "intake",
    "under_review": "eligibility",
    "approved": "eligibility",
    "rejected": "eligibility",
    "waitlisted": "payments",
    "payment_scheduled": "payments",
    "payment_sent": "payments",
    "paid": "payments",
    "payment_returned": "payments",
}
STATUS_TITLES = {
    "received": "Reçue par intake",
    "refused": "Refusée à l'enregistrement",
    "under_review": "Envoyée en vérification manuelle",
    "approved": "Accordée",
    "rejected": "Rejetée",
    "waitlisted": "Mise en liste d'attente (enveloppe épuisée)",
    "payment_scheduled": "Paiement programmé",
    "payment_sent": "Paiement envoyé à la banque",
    "paid": "Paiement réglé",
    "payment_returned": "Paiement revenu",
}
JUDGEMENT_TITLES = {
    "approved": "Décision : accordée",
    "rejected": "Décision : rejetée",
    "under_review": "Décision : envoyée en vérification manuelle",
}


class Row(Protocol):
    """A row of the read model (an asyncpg record, or a mapping in tests)."""

    def __getitem__(self, key: str) -> Any: ...


@dataclass(frozen=True)
class TimelineEvent:
    at: dt.datetime
    service: str
    title: str
    details: tuple[str, ...] = ()
    kind: str = "status"  # status | registration | judgement | email | payment
    status: str | None = None


def _euros(cents: int) -> str:
    return f"{cents / 100:,.2f} €".replace(",", "\u202f").replace(".", ",")


def timeline(
    claim: Row,
    statuses: Iterable[Row],
    judgements: Iterable[Row],
    emails: Iterable[Row],
    attempts: Iterable[Row],
) -> list[TimelineEvent]:
    events = []
    if claim["registered"] and claim["received_at"] is not None:
        events.append(TimelineEvent(claim["received_at"], "intake", "Déposée et enregistrée", kind="registration"))
    for s in statuses:
        details = tuple(f"Motif : {code}" for code in s["reasons"] or ())
        if s["amount_cents"] is not None:
            details += (f"Montant : {_euros(s['amount_cents'])}",)
        title = STATUS_TITLES.get(s["status"], f"Statut : {s['status']}")
        service = STATUS_SERVICES.get(s["status"], "")
        events.append(TimelineEvent(s["occurred_at"], service, title, details, "status", s["status"]))
    for j in judgements:
        events.append(_judgement(j))
    for e in emails:
        title = "E-mail envoyé" if e["outcome"] == "sent" else "E-mail abandonné (impossible à envoyer)"
        events.append(TimelineEvent(e["occurred_at"], "notifications", title, (e["subject"],), "email", e["status"]))
    for a in attempts:
        details = (
            f"Lot {a['batch_id']}",
            f"Montant : {_euros(a['amount_cents'])}",
            f"IBAN …{a['iban_last4']}" if a["iban_last4"] else "IBAN effacé",
        )
        title = f"Tentative de paiement n° {a['attempt']} transmise à la banque"
        events.append(TimelineEvent(a["issued_at"], "payments", title, details, "payment"))
    return sorted(events, key=lambda e: e.at)


def _judgement(j: Row) -> TimelineEvent:
    rules: Sequence[Mapping[str, Any]] = j["rules"] or ()
    details = tuple(f"✗ {rule['code']}" for rule in rules if not rule.get("passed", True))
    if j["decided_by"]:
        details += (f"Décidée par {j['decided_by']}",)
    title = JUDGEMENT_TITLES.get(j["status"], f"Décision : {j['status']}")
    return TimelineEvent(j["occurred_at"], "eligibility", title, details, "judgement", j["status"])
