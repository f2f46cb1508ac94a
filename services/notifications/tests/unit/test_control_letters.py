"""What the firm reads about its control and its recovery order, in French: why it is controlled and what to send by
when, the outcome, and for a recovery order the amount, why, the due date, the reference to quote and the account to
pay to; each reminder, the passing to collection and the settlement. Dates are written JJ/MM/AAAA, amounts in euros."""

from __future__ import annotations

from typing import Any

import pytest

from guichet_common.contracts.reason_codes import catalogue
from guichet_notifications import domain
from guichet_notifications.reason_texts import french_sentences

from .control_events import IBAN, REFERENCE

ORDER: dict[str, Any] = {
    "order_id": "RO-0123456789AB",
    "due_on": "2027-03-31",
    "payment_reference": REFERENCE,
    "creditor_name": "Agence de services et de paiement",
    "creditor_iban": IBAN,
    "creditor_bic": "BDFEFRPPCCT",
    "outstanding_cents": 120_000,
}


def letter(kind: str, **changes: Any) -> domain.Letter:
    base: dict[str, Any] = {
        "kind": kind,
        "claim_id": "CFN-2021-0000123",
        "programme_name": "Chèque France Num 2021",
        "full_name": "Claire Martin",
    }
    return domain.compose(domain.Occasion(**(base | changes)), french_sentences())


def test_a_control_request_says_why_what_to_send_and_by_when() -> None:
    sent = letter(
        "control_request",
        reasons=("CONTROL_SAMPLED",),
        amount_cents=50_000,
        details={"reply_by": "2027-02-03"},
    )
    assert sent.subject == "Chèque France Num 2021 – contrôle de votre dossier : justificatifs à envoyer"
    assert catalogue()["CONTROL_SAMPLED"].text_fr in sent.body
    assert "03/02/2027" in sent.body and "500 €" in sent.body
    assert "factures" in sent.body and "preuves de paiement" in sent.body
    assert "CFN-2021-0000123" in sent.body and "Bonjour Claire Martin" in sent.body


def test_a_compliant_outcome_closes_the_control() -> None:
    sent = letter("control_compliant", reasons=("CONTROL_COMPLIANT",), amount_cents=50_000)
    assert sent.subject.endswith("contrôle terminé : dossier conforme")
    assert catalogue()["CONTROL_COMPLIANT"].text_fr in sent.body


def test_a_recovery_order_gives_everything_needed_to_pay_it() -> None:
    sent = letter("recovery_order", reasons=("CONTROL_INVOICE_UNPAID",), amount_cents=123_456, details=ORDER)
    assert sent.subject.endswith("ordre de reversement RO-0123456789AB")
    body = sent.body
    assert "1\u202f234,56 €" in body
    assert catalogue()["CONTROL_INVOICE_UNPAID"].text_fr in body
    assert "31/03/2027" in body
    assert REFERENCE in body and "Agence de services et de paiement" in body
    assert "FR76 3000 1007 9412 3456 7890 185" in body and "BDFEFRPPCCT" in body


@pytest.mark.parametrize("number", [1, 2, 3])
def test_each_reminder_says_its_number_what_is_left_and_how_to_pay(number: int) -> None:
    sent = letter(f"recovery_reminder_{number}", amount_cents=120_000, details=ORDER | {"reminder": number})
    assert f"relance n° {number}" in sent.subject
    assert "1\u202f200 €" in sent.body and "31/03/2027" in sent.body
    assert REFERENCE in sent.body and "FR76 3000 1007 9412 3456 7890 185" in sent.body


def test_the_passing_to_collection_names_the_amount_left_and_the_public_accountant() -> None:
    sent = letter("recovery_collection", amount_cents=120_000, details=ORDER)
    assert "1\u202f200 €" in sent.body and "comptable public" in sent.body and "RO-0123456789AB" in sent.body


def test_a_settled_order_says_nothing_is_left_to_pay() -> None:
    sent = letter("recovery_settled", amount_cents=123_456, details=ORDER | {"outstanding_cents": 0})
    assert "1\u202f234,56 €" in sent.body and "plus rien à payer" in sent.body


def test_every_control_kind_has_a_stable_message_id_and_unknown_ones_have_none() -> None:
    kinds = ["control_request", "control_compliant", "recovery_order", "recovery_reminder_4", "recovery_settled"]
    assert all(domain.is_kind(kind) for kind in [*kinds, "recovery_collection", "rejected"])
    assert domain.message_id("C-1", "recovery_reminder_2", "x.invalid", 7) == "<C-1.recovery_reminder_2@x.invalid>"
    for unknown in ("recovery_reminder_0", "recovery_reminder_", "under_control", "recovery_ordered"):
        assert not domain.is_kind(unknown)


def test_a_creditor_name_from_the_event_cannot_break_the_letter() -> None:
    sent = letter("recovery_order", amount_cents=100, details=ORDER | {"creditor_name": "Agence\r\nBcc: x@y"})
    assert "\r" not in sent.body and "Bcc: x@y" not in sent.body.splitlines()
