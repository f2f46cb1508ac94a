"""One claim's story, from what each service recorded, as events in time order and in plain French.

Pure: no I/O. Personal data stays out: no names, no e-mail addresses, an IBAN as its last four characters only;
a sealed value (`sealed:v1:...`, from an internal topic) is never printed, only said to be there ("[scellé]"); data
a service erased (issue 18) reads "effacé le JJ/MM/AAAA".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from guichet_common.logging import mask_text
from guichet_console.report_format import euros, paris
from guichet_console.trace_collect import ClaimHistory
from guichet_console.trace_controls import control_events
from guichet_console.trace_privacy import erased_on, erasure_events, without_sealed
from guichet_eligibility.operators import explain

OUTCOMES = {
    "approved": "accordée",
    "rejected": "rejetée",
    "under_review": "envoyée en vérification manuelle",
    "awaiting_registry": "en attente de la fiche du répertoire",
}
PAYMENT_STATUSES = {
    "scheduled": "programmé",
    "sent": "envoyé",
    "settled": "réglé",
    "returned": "revenu",
    "released": "annulé, réservation rendue à l'enveloppe",
}
EMAIL_STATES = {
    "pending": "en attente d'envoi",
    "sending": "envoi en cours",
    "sent": "envoyé",
    "failed": "mis de côté (impossible à envoyer, en attente d'un opérateur)",
    "cancelled": "annulé par un opérateur, jamais envoyé",
}


@dataclass(frozen=True)
class TraceEvent:
    at: dt.datetime | None  # None: a notice about the trace itself (a database that could not be read)
    service: str
    title: str
    details: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat() if self.at else None,
            "service": self.service,
            "title": self.title,
            "details": list(self.details),
            **({"data": self.data} if self.data else {}),
        }


def timeline(history: ClaimHistory) -> list[TraceEvent]:
    events = [
        *_unreachable(history),
        *_intake(history),
        *_eligibility(history),
        *_payments(history),
        *control_events(history),
        *_emails(history),
        *erasure_events(history),
    ]
    events = [without_sealed(event) for event in events]
    # Stable sort: events at the same instant keep the order the pipeline produces them in.
    return sorted(events, key=lambda e: (e.at is not None, e.at or dt.datetime.min.replace(tzinfo=dt.UTC)))


def _unreachable(history: ClaimHistory) -> list[TraceEvent]:
    return [
        TraceEvent(None, service, f"Base de données de {service} injoignable : ce qu'elle sait manque ici", (why,))
        for service, why in sorted(history.unreachable.items())
    ]


def _intake(history: ClaimHistory) -> list[TraceEvent]:
    events = []
    registration = history.intake.get("registration")
    submitted_at = (registration or history.eligibility or {}).get("submitted_at")
    programme = (registration or history.eligibility or {}).get("programme")
    if submitted_at:
        events.append(TraceEvent(submitted_at, "portail", f"Demande déposée ({programme})"))
    if registration:
        events.append(TraceEvent(registration["registered_at"], "intake", "Reçue et enregistrée par intake"))
    for refusal in history.intake.get("refusals", []):
        events.append(
            TraceEvent(
                refusal["refused_at"],
                "intake",
                "Refusée à l'enregistrement : " + ", ".join(refusal["codes"]),
                tuple(mask_text(str(detail)) for detail in refusal["details"]),
                {"codes": refusal["codes"]},
            )
        )
    return events


def _eligibility(history: ClaimHistory) -> list[TraceEvent]:
    claim = history.eligibility
    if not claim:
        return []
    events = [TraceEvent(claim["received_at"], "eligibility", "Reçue par eligibility")]
    if claim["decided_at"]:
        events.append(_decision(claim))
    elif claim["status"] == "awaiting_registry":
        events.append(TraceEvent(claim["received_at"], "eligibility", "En attente de la fiche du répertoire"))
    if claim["reviewed_at"]:
        verdict = OUTCOMES.get(claim["review_decision"], claim["review_decision"])
        events.append(
            TraceEvent(
                claim["reviewed_at"],
                "eligibility",
                f"Vérification manuelle par {claim['review_operator']} : {verdict}",
                (f"Motif : « {claim['review_reason']} »",),
            )
        )
    return events


def _decision(claim: dict[str, Any]) -> TraceEvent:
    rules = [
        {
            "code": r["code"],
            "passed": r["passed"],
            "sends_to_review": r.get("sends_to_review", False),
            "observed": r.get("observed", {}),
            "sentence": explain(r["code"], r["passed"], r.get("observed")),
        }
        for r in claim["rule_results"]
    ]
    title = f"Décision : {OUTCOMES.get(claim['outcome'], claim['outcome'])} (règles du {claim['rule_version']})"
    if claim["grant_cents"]:
        title += f", aide de {euros(claim['grant_cents'])}"
    if claim["reasons"]:
        title += " — " + ", ".join(claim["reasons"])
    details = tuple(f"{_mark(r)} {r['code']} : {r['sentence']}" for r in rules)
    data = {k: claim[k] for k in ("outcome", "rule_version", "reasons", "grant_cents")} | {"rules": rules}
    return TraceEvent(claim["decided_at"], "eligibility", title, details, data)


def _mark(rule: dict[str, Any]) -> str:
    if rule["passed"]:
        return "✓"
    return "?" if rule["sends_to_review"] else "✗"


def _payments(history: ClaimHistory) -> list[TraceEvent]:
    events = []
    if waiting := history.payments.get("waitlist"):
        events.append(
            TraceEvent(waiting["queued_at"], "payments", "Accordée mais en liste d'attente : enveloppe épuisée")
        )
    payment = history.payments.get("payment")
    if not payment:
        return events
    status = PAYMENT_STATUSES.get(payment["status"], payment["status"])
    events.append(
        TraceEvent(
            payment["created_at"],
            "payments",
            f"Paiement de {euros(payment['amount_cents'])} créé ({payment['payment_id']}), aujourd'hui {status}",
            data={k: payment[k] for k in ("payment_id", "amount_cents", "status", "attempt", "return_reason")},
        )
    )
    attempts = history.payments.get("attempts", [])
    # payments keeps the reason of the latest return only
    last_returned = max((a["attempt"] for a in attempts if a["status"] == "returned"), default=None)
    bank_erased = erased_on(history, "payments", "bank")
    for attempt in attempts:
        return_reason = payment["return_reason"] if attempt["attempt"] == last_returned else None
        events += _attempt(attempt, return_reason, bank_erased)
    return events


def _attempt(attempt: dict[str, Any], return_reason: str | None, bank_erased: str | None) -> list[TraceEvent]:
    n = attempt["attempt"]
    if attempt["iban_last4"]:
        account = f"le compte finissant par {attempt['iban_last4']}"
    else:
        account = f"un compte dont les coordonnées ont été {bank_erased or 'effacées'}"
    events = [
        TraceEvent(
            attempt["created_at"],
            "payments",
            f"Tentative {n} : virement de {euros(attempt['amount_cents'])} vers {account}",
        )
    ]
    if attempt["batch_id"]:
        execution = attempt["requested_execution_date"]
        events.append(
            TraceEvent(
                attempt["batch_created_at"],
                "payments",
                f"Tentative {n} mise dans le lot SEPA {attempt['batch_id']}"
                + (f", exécution demandée le {execution:%d/%m/%Y}" if execution else ""),
            )
        )
    if attempt["reported_at"] and attempt["status"] == "settled":
        events.append(TraceEvent(attempt["reported_at"], "payments", f"Tentative {n} réglée par la banque"))
    elif attempt["reported_at"] and attempt["status"] == "returned":
        reason = f", motif {return_reason}" if return_reason else ""
        events.append(TraceEvent(attempt["reported_at"], "payments", f"Tentative {n} revenue de la banque{reason}"))
    return events


def _emails(history: ClaimHistory) -> list[TraceEvent]:
    events = []
    for email in history.emails:
        state = EMAIL_STATES.get(email["state"], email["state"])
        details = [f"{email['attempts']} tentative(s)"]
        if email["last_error"]:
            details.append("Dernière erreur : " + mask_text(email["last_error"]))
        title = f"E-mail « {email['kind']} » {state}"
        if email["sent_at"]:
            title += f" le {paris(email['sent_at'])}"
        events.append(TraceEvent(email["sent_at"] or email["created_at"], "notifications", title, tuple(details)))
    return events
