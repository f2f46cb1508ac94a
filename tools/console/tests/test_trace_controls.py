"""A claim's timeline after the money: its control (selection, outcome) and its recovery order (issue, repayments,
collection, settlement), in time order with the rest of its story."""

from __future__ import annotations

import datetime as dt

from guichet_console.trace_timeline import timeline

from .test_trace_timeline import at, paid_history


def controlled_history(outcome: str = "non_compliant", **order_changes):
    history = paid_history()
    history.payments["control"] = {
        "campaign_id": "C-20210401-0a1b2c3d",
        "grounds": ["CONTROL_RISK_REVIEWED", "CONTROL_SAMPLED"],
        "reply_by": dt.date(2021, 5, 1),
        "selected_at": at(200),
        "paid_cents": 50_000,
        "outcome": outcome,
        "reason_code": "CONTROL_INVOICE_UNPAID" if outcome == "non_compliant" else None,
        "amount_undue_cents": 20_000 if outcome == "non_compliant" else None,
        "decided_by": "carla",
        "seconded_by": "sam" if outcome != "compliant" else None,
        "decided_at": at(300),
    }
    history.payments["recovery"] = None
    if outcome != "compliant":
        history.payments["recovery"] = {
            "order_id": "RO-ABCDEF123456",
            "reason_code": "CONTROL_INVOICE_UNPAID",
            "amount_cents": 20_000,
            "repaid_cents": 20_000,
            "outstanding_cents": 0,
            "payment_reference": "RF18539007547034",
            "due_on": dt.date(2021, 6, 1),
            "reminders_sent": 0,
            "state": "settled",
            "issued_at": at(301),
            "settled_at": at(500),
            "collection_at": None,
            "returns_to_envelope": True,
            "repayments": [
                {"bank_entry": "E-1", "amount_cents": 5_000, "received_at": at(400), "returned_to_envelope": True},
                {"bank_entry": "E-2", "amount_cents": 15_000, "received_at": at(500), "returned_to_envelope": True},
            ],
        } | order_changes
    return history


def titles(history) -> list[str]:
    return [event.title for event in timeline(history)]


def test_selection_outcome_order_and_repayments_follow_the_payment_in_time_order() -> None:
    events = timeline(controlled_history())
    assert [e.at for e in events] == sorted(e.at for e in events)
    shown = [e.title for e in events]
    selected = "Tirée au contrôle (campagne C-20210401-0a1b2c3d) : CONTROL_RISK_REVIEWED, CONTROL_SAMPLED"
    assert shown.index(selected) < shown.index("Contrôle : non conforme (CONTROL_INVOICE_UNPAID), 200,00 € à reverser")
    assert "Ordre de reversement RO-ABCDEF123456 émis : 200,00 €, à payer avant le 01/06/2021" in shown
    assert "Reversement reçu : 50,00 € (écriture E-1), reste dû 150,00 €" in shown
    assert "Reversement reçu : 150,00 € (écriture E-2), reste dû 0,00 €" in shown
    assert "Ordre RO-ABCDEF123456 soldé : 200,00 € reversés, rendus à l'enveloppe du programme" in shown
    selection = next(e for e in events if e.title == selected)
    assert selection.details == ("Justificatifs attendus au plus tard le 01/05/2021",)
    outcome = next(e for e in events if e.title.startswith("Contrôle :"))
    assert outcome.details == ("Décidé par carla, validé par sam",)
    assert outcome.data["amount_undue_cents"] == 20_000


def test_a_compliant_control_closes_with_no_order() -> None:
    shown = titles(controlled_history("compliant"))
    assert "Contrôle : conforme" in shown
    assert not any(title.startswith("Ordre") for title in shown)


def test_an_order_passed_to_collection_says_what_is_still_owed_and_its_reminders() -> None:
    history = controlled_history(
        "no_answer",
        state="in_collection",
        repaid_cents=0,
        outstanding_cents=20_000,
        reminders_sent=2,
        settled_at=None,
        collection_at=at(900),
        repayments=[],
    )
    events = timeline(history)
    assert "Contrôle : sans réponse, toute l'aide à reverser" in [e.title for e in events]
    collection = next(e for e in events if "comptable public" in e.title)
    assert collection.title == "Ordre RO-ABCDEF123456 transmis au comptable public pour recouvrement : 200,00 € dus"
    issued = next(e for e in events if e.title.startswith("Ordre de reversement"))
    assert "2 relance(s) envoyée(s)" in issued.details


def test_a_selected_claim_waiting_for_its_documents_has_no_outcome_yet() -> None:
    history = controlled_history("compliant")
    history.payments["control"] |= {"outcome": None, "decided_at": None, "decided_by": None}
    shown = titles(history)
    assert any(title.startswith("Tirée au contrôle") for title in shown)
    assert not any(title.startswith("Contrôle :") for title in shown)
