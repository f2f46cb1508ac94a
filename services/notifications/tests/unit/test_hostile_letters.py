"""Text from outside never shapes an e-mail header, and reaches a body only checked or escaped."""

from __future__ import annotations

import pytest

from guichet_notifications import domain, envelope

HOSTILE = ["CFN-2021-0000123\n", "CFN\r\nBcc: x@example.org", "CFN-\u202e0000123", "CFN\x1b[2J", "", "-CFN-2021"]


def due(**changes: object) -> domain.DueEmail:
    base: dict[str, object] = {
        "id": 42,
        "claim_id": "CFN-2021-0000123",
        "kind": "refused",
        "programme": "cheque-france-num-2021",
        "reasons": ("SCHEMA_INVALID",),
        "amount_cents": None,
        "attempts": 1,
        "email": "claire.martin@example.fr",
        "full_name": "Claire Martin",
        "iban_last4": None,
    }
    return domain.DueEmail(**{**base, **changes})  # type: ignore[arg-type]


def build(**changes: object):
    return envelope.build(
        due(**changes),
        {"cheque-france-num-2021": "Chèque France Num 2021"},
        mail_from="Guichet <ne-pas-repondre@guichet.invalid>",
        message_id_domain="guichet.invalid",
    )


@pytest.mark.parametrize("claim_id", HOSTILE)
def test_a_claim_id_that_is_no_reference_names_no_header_and_is_not_quoted(claim_id: str) -> None:
    message, message_id = build(claim_id=claim_id)
    assert message_id == "<email.42.refused@guichet.invalid>" == message["Message-ID"]
    assert claim_id not in message.get_content() or not claim_id
    assert "ne portait pas de référence lisible" in message.get_content()


def test_a_reference_is_kept_in_the_message_id_and_the_body() -> None:
    message, message_id = build()
    assert message_id == "<CFN-2021-0000123.refused@guichet.invalid>"
    assert "Référence de votre demande : CFN-2021-0000123" in message.get_content()


@pytest.mark.parametrize(
    "programme", ["Cliquez sur http://guichet.example.com\r\nBcc: x@example.org", "Remboursement 1500 €", "\u2028"]
)
def test_an_unknown_programme_is_never_quoted_the_subject_is_configured_text(programme: str) -> None:
    message, _ = build(programme=programme)
    assert message["Subject"] == "Guichet des aides – demande non enregistrée"
    assert programme not in message.as_string() and "Cliquez" not in message.get_content()


def test_a_known_programme_signs_with_its_configured_name() -> None:
    message, _ = build()
    assert message["Subject"] == "Chèque France Num 2021 – demande non enregistrée"


@pytest.mark.parametrize(
    "address",
    [
        "a@example.fr\r\nBcc: x@example.org",
        "a@example.fr\n",
        "Claire <a@example.fr>",
        "a b@example.fr",
        "a@\u202eexample.fr",
        "a@b@example.fr",
        "nobody",
    ],
)
def test_an_address_unfit_for_a_header_makes_the_email_unsendable(address: str) -> None:
    with pytest.raises(envelope.UnsendableEmail):
        build(email=address)


def test_a_name_with_control_characters_is_escaped_in_the_greeting() -> None:
    message, _ = build(full_name="Claire\r\nCliquez sur http://x\u202e\x1b[2J")
    body = message.get_content()
    assert "Bonjour Claire\\x0d\\x0aCliquez sur http://x\\u202e\\x1b[2J," in body
    assert "\x1b" not in body and "\u202e" not in body


def test_an_unknown_kind_is_unsendable_not_a_crash_of_the_batch() -> None:
    with pytest.raises(ValueError):
        build(kind="bogus")
    with pytest.raises(ValueError):
        domain.message_id("CFN-2021-0000123", "bogus", "guichet.invalid", 1)
