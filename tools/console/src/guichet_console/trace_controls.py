"""A claim's story after the money (issue 19), from payments' records: its control (selected, then its outcome) and
its recovery order (issued, each repayment, passed to collection, settled). Pure: no I/O.

Reminders carry no time of their own in payments' records (the order counts them): they are said on the order's
issue. No personal data: a SIREN, amounts, codes, the order's reference and the bank entry's id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from guichet_console.report_format import euros
from guichet_console.trace_collect import ClaimHistory

if TYPE_CHECKING:
    from guichet_console.trace_timeline import TraceEvent


def control_events(history: ClaimHistory) -> list[TraceEvent]:
    """The control's and the recovery order's steps; none for a claim never selected."""
    control = history.payments.get("control")
    events = _control(control) if control else []
    if order := history.payments.get("recovery"):
        events += _order(order)
    return events


def _control(control: dict[str, Any]) -> list[TraceEvent]:
    from guichet_console.trace_timeline import TraceEvent  # here: trace_timeline imports this module

    grounds = ", ".join(control["grounds"])
    events = [
        TraceEvent(
            control["selected_at"],
            "payments",
            f"Tirée au contrôle (campagne {control['campaign_id']}) : {grounds}",
            (f"Justificatifs attendus au plus tard le {control['reply_by']:%d/%m/%Y}",),
            {"campaign_id": control["campaign_id"], "grounds": list(control["grounds"])},
        )
    ]
    if control.get("outcome") and control.get("decided_at"):
        who = f"Décidé par {control['decided_by']}" + (
            f", validé par {control['seconded_by']}" if control.get("seconded_by") else ""
        )
        data = {key: control.get(key) for key in ("outcome", "reason_code", "amount_undue_cents")}
        events.append(TraceEvent(control["decided_at"], "payments", _verdict(control), (who,), data))
    return events


def _verdict(control: dict[str, Any]) -> str:
    if control["outcome"] == "compliant":
        return "Contrôle : conforme"
    if control["outcome"] == "no_answer":
        return "Contrôle : sans réponse, toute l'aide à reverser"
    return f"Contrôle : non conforme ({control['reason_code']}), {euros(control['amount_undue_cents'])} à reverser"


def _order(order: dict[str, Any]) -> list[TraceEvent]:
    from guichet_console.trace_timeline import TraceEvent  # here: trace_timeline imports this module

    name = order["order_id"]
    details = [f"Référence à rappeler sur le virement : {order['payment_reference']}"]
    if order["reminders_sent"]:
        details.append(f"{order['reminders_sent']} relance(s) envoyée(s)")
    events = [
        TraceEvent(
            order["issued_at"],
            "payments",
            f"Ordre de reversement {name} émis : {euros(order['amount_cents'])}, à payer avant le"
            f" {order['due_on']:%d/%m/%Y}",
            tuple(details),
            {key: order[key] for key in ("order_id", "amount_cents", "state")},
        )
    ]
    owed = order["amount_cents"]
    for repayment in order.get("repayments") or []:
        owed -= repayment["amount_cents"]
        events.append(
            TraceEvent(
                repayment["received_at"],
                "payments",
                f"Reversement reçu : {euros(repayment['amount_cents'])} (écriture {repayment['bank_entry']}),"
                f" reste dû {euros(owed)}",
            )
        )
    if order.get("collection_at"):
        events.append(
            TraceEvent(
                order["collection_at"],
                "payments",
                f"Ordre {name} transmis au comptable public pour recouvrement :"
                f" {euros(order['outstanding_cents'])} dus",
            )
        )
    if order.get("settled_at"):
        back = "rendus à l'enveloppe du programme" if order["returns_to_envelope"] else "non rendus à l'enveloppe"
        events.append(
            TraceEvent(
                order["settled_at"],
                "payments",
                f"Ordre {name} soldé : {euros(order['repaid_cents'])} reversés, {back}",
            )
        )
    return events
