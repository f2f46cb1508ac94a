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
    "under_control": "payments",
    "control_closed": "payments",
    "recovery_ordered": "payments",
    "recovered": "payments",
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
    "under_control": "Sélectionnée pour un contrôle",
    "control_closed": "Contrôle clos : conforme",
    "recovery_ordered": "Reversement ordonné",
    "recovered": "Aide reversée",
}
OUTCOME_TITLES = {
    "compliant": "Contrôle conclu : conforme",
    "non_compliant": "Contrôle conclu : non conforme",
    "no_answer": "Contrôle conclu : sans réponse dans le délai",
}
RECOVERY_TITLES = {
    "issued": "Ordre de reversement émis",
    "reminded": "Relance de l'ordre de reversement",
    "repayment": "Remboursement reçu",
    "settled": "Ordre de reversement soldé",
    "passed_to_collection": "Ordre de reversement transmis au recouvrement",
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
    kind: str = "status"  # status | registration | judgement | email | payment | control | recovery
    status: str | None = None


def _euros(cents: int) -> str:
    return f"{cents / 100:,.2f} €".replace(",", "\u202f").replace(".", ",")


def timeline(
    claim: Row,
    statuses: Iterable[Row],
    judgements: Iterable[Row],
    emails: Iterable[Row],
    attempts: Iterable[Row],
    controls: Iterable[Row] = (),
    recovery: Iterable[Row] = (),
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
    events += [_control(c) for c in controls] + [_recovery(r) for r in recovery]
    return sorted(events, key=lambda e: e.at)


def _control(c: Row) -> TimelineEvent:
    if c["kind"] == "selected":
        details = tuple(f"Motif de sélection : {code}" for code in c["grounds"] or ())
        details += (f"Campagne {c['campaign_id']}",)
        details += (f"Justificatifs attendus au plus tard le {c['reply_by']:%d/%m/%Y}",) if c["reply_by"] else ()
        return TimelineEvent(c["occurred_at"], "payments", "Sélectionnée pour un contrôle", details, "control")
    details = (f"Motif : {c['reason_code']}",) if c["reason_code"] else ()
    if c["amount_undue_cents"]:
        details += (f"Montant à reverser : {_euros(c['amount_undue_cents'])}",)
    if c["decided_by"]:
        seconded = f", approuvée par {c['seconded_by']}" if c["seconded_by"] else ""
        details += (f"Décidée par {c['decided_by']}{seconded}",)
    title = OUTCOME_TITLES.get(c["outcome"], "Contrôle conclu")
    return TimelineEvent(c["occurred_at"], "payments", title, details, "control", c["outcome"])


def _recovery(r: Row) -> TimelineEvent:
    details = (f"Ordre {r['order_id']}",)
    if r["reminder"]:
        details += (f"Relance n° {r['reminder']}",)
    if r["repayment_cents"]:
        details += (f"Remboursement : {_euros(r['repayment_cents'])}",)
    details += (f"Déjà reversé : {_euros(r['repaid_cents'])}", f"Reste dû : {_euros(r['outstanding_cents'])}")
    title = RECOVERY_TITLES.get(r["step"], f"Reversement : {r['step']}")
    return TimelineEvent(r["occurred_at"], "payments", title, details, "recovery", r["step"])


def _judgement(j: Row) -> TimelineEvent:
    rules: Sequence[Mapping[str, Any]] = j["rules"] or ()
    details = tuple(f"✗ {rule['code']}" for rule in rules if not rule.get("passed", True))
    if j["decided_by"]:
        details += (f"Décidée par {j['decided_by']}",)
    title = JUDGEMENT_TITLES.get(j["status"], f"Décision : {j['status']}")
    return TimelineEvent(j["occurred_at"], "eligibility", title, details, "judgement", j["status"])
