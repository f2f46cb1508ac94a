import re

import pytest

from guichet_common.contracts.reason_codes import catalogue
from guichet_common.settings import project_root
from guichet_notifications import domain
from guichet_notifications.reason_texts import french_sentences


def occasion(**changes: object) -> domain.Occasion:
    base = {
        "kind": "rejected",
        "claim_id": "CFN-2021-0000123",
        "programme_name": "Chèque France Num 2021",
        "full_name": "Claire Martin",
    }
    return domain.Occasion(**{**base, **changes})


def test_a_rejection_explains_every_reason_in_plain_french() -> None:
    letter = domain.compose(occasion(reasons=("EXPENSES_BELOW_MINIMUM", "COMPANY_CEASED")), french_sentences())
    assert "n'atteint pas le minimum" in letter.body
    assert "cessé son activité" in letter.body
    assert "CFN-2021-0000123" in letter.body
    assert letter.subject == "Chèque France Num 2021 – demande refusée"


def test_payment_sent_names_the_amount_and_only_the_last_four_iban_characters() -> None:
    letter = domain.compose(occasion(kind="payment_sent", amount_cents=50_000, iban_last4="2957"), french_sentences())
    assert "500 €" in letter.body
    assert "2957" in letter.body


@pytest.mark.parametrize(("cents", "text"), [(50_000, "500 €"), (150_050, "1\u202f500,50 €"), (5, "0,05 €")])
def test_euros(cents: int, text: str) -> None:
    assert domain.euros(cents) == text


def test_every_reason_code_of_the_specification_has_a_sentence() -> None:
    spec = project_root().parent / "shared" / "programme" / "cheque-france-num-2021.md"
    if not spec.is_file():
        pytest.skip("no ../shared beside this clone")
    codes = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", spec.read_text(encoding="utf-8"), flags=re.MULTILINE))
    codes |= set(re.findall(r"code `([A-Z][A-Z0-9_]+)`", spec.read_text(encoding="utf-8")))
    assert len(codes) > 20
    assert codes <= set(french_sentences()), sorted(codes - set(french_sentences()))
    assert all(sentence.endswith(".") for sentence in french_sentences().values())


def test_each_reason_reads_as_the_catalogues_french_text() -> None:
    letter = domain.compose(occasion(kind="refused", reasons=("SIREN_INVALID", "SOURCE_MISMATCH")), french_sentences())
    assert f"- {catalogue()['SIREN_INVALID'].text_fr}\n- {catalogue()['SOURCE_MISMATCH'].text_fr}\n" in letter.body


def test_a_code_never_on_a_status_or_unknown_gets_the_general_sentence_not_the_code() -> None:
    letter = domain.compose(occasion(reasons=("INVOICE_FROM_APPLICANT", "NO_SUCH_CODE")), french_sentences())
    assert "INVOICE_FROM_APPLICANT" not in letter.body and "NO_SUCH_CODE" not in letter.body
    assert letter.body.count("Une condition du dispositif n'est pas remplie.") == 2


def test_message_id_is_stable_per_claim_and_kind() -> None:
    assert domain.message_id("C1", "rejected", "x.invalid", 7) == domain.message_id("C1", "rejected", "x.invalid", 7)
    assert domain.message_id("C1", "rejected", "x.invalid", 7) != domain.message_id("C1", "refused", "x.invalid", 7)
    assert domain.message_id("C1", "rejected", "x.invalid", 7) == "<C1.rejected@x.invalid>"
