import re

import pytest

from guichet_common.settings import project_root
from guichet_notifications import domain


def occasion(**changes: object) -> domain.Occasion:
    base = {
        "kind": "rejected",
        "claim_id": "CFN-2021-0000123",
        "programme_name": "Chèque France Num 2021",
        "full_name": "Claire Martin",
    }
    return domain.Occasion(**{**base, **changes})


def test_a_rejection_explains_every_reason_in_plain_french() -> None:
    letter = domain.compose(occasion(reasons=("EXPENSES_BELOW_MINIMUM", "COMPANY_CEASED")))
    assert "n'atteint pas le minimum" in letter.body
    assert "cessé son activité" in letter.body
    assert "CFN-2021-0000123" in letter.body
    assert letter.subject == "Chèque France Num 2021 – demande refusée"


def test_payment_sent_names_the_amount_and_only_the_last_four_iban_characters() -> None:
    letter = domain.compose(occasion(kind="payment_sent", amount_cents=50_000, iban_last4="2957"))
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
    assert codes <= set(domain.REASON_SENTENCES), sorted(codes - set(domain.REASON_SENTENCES))
    assert all(sentence.endswith(".") for sentence in domain.REASON_SENTENCES.values())


def test_message_id_is_stable_per_claim_and_kind() -> None:
    assert domain.message_id("C1", "rejected", "x.invalid", 7) == domain.message_id("C1", "rejected", "x.invalid", 7)
    assert domain.message_id("C1", "rejected", "x.invalid", 7) != domain.message_id("C1", "refused", "x.invalid", 7)
    assert domain.message_id("C1", "rejected", "x.invalid", 7) == "<C1.rejected@x.invalid>"
