"""The bank's answer: deterministic, a share of first attempts returned, re-issues always paid, valid contract."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from guichet_common.contracts import PUBLISHED, PaymentIssuedV1, PaymentSettlementV1
from guichet_finance.bank import RETURN_REASONS, encode, return_reason, settle

NOW = dt.datetime(2021, 3, 4, 9, 30, tzinfo=dt.UTC)


def issued(payment_id: str, attempt: int = 1) -> PaymentIssuedV1:
    return PaymentIssuedV1(
        event_id=uuid.uuid4(),
        occurred_at=dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC),
        payment_id=payment_id,
        claim_id=f"CFN-{payment_id}",
        programme="cheque-france-num-2021",
        siren="732829320",
        beneficiary_name="BOUTIQUE TEST",
        iban="FR7693233145437431125912957",
        amount_cents=50_000,
        end_to_end_id=payment_id if attempt == 1 else f"{payment_id}-{attempt}",
        remittance_information="CHEQUE FRANCE NUM 2021 CFN-1",
        batch_id="B-20210302-1",
        requested_execution_date=dt.date(2021, 3, 3),
        attempt=attempt,
    )


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads((PUBLISHED / "payments.settlements.v1.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


IDS = [f"PAY-{n:06d}" for n in range(4_000)]


def test_the_same_instruction_gets_the_same_answer() -> None:
    first = settle(issued("PAY-000001"), now=NOW)
    again = settle(issued("PAY-000001"), now=NOW + dt.timedelta(hours=1))
    assert first.model_dump(exclude={"occurred_at"}) == again.model_dump(exclude={"occurred_at"})
    assert settle(issued("PAY-000001", 2), now=NOW).event_id != first.event_id
    assert settle(issued("PAY-000002"), now=NOW).event_id != first.event_id


def test_about_one_first_attempt_in_n_is_returned_with_a_known_reason() -> None:
    reasons = [return_reason(pid, 1, 40) for pid in IDS]
    returned = [r for r in reasons if r is not None]
    assert 50 <= len(returned) <= 150  # 4 000 / 40 = 100 expected
    assert set(returned) == set(RETURN_REASONS)
    assert all(return_reason(pid, 1, 1) is not None for pid in IDS[:50])


@pytest.mark.parametrize("attempt", [2, 3])
def test_a_reissued_attempt_is_always_settled(attempt: int) -> None:
    returned_first = [pid for pid in IDS if return_reason(pid, 1, 2) is not None]
    assert returned_first
    for pid in returned_first:
        answer = settle(issued(pid, attempt), now=NOW, return_every=2)
        assert (answer.status, answer.return_reason_code) == ("settled", None)


def test_return_every_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        return_reason("PAY-1", 1, 0)


@pytest.mark.parametrize(("return_every", "status"), [(1, "returned"), (10**9, "settled")])
def test_the_answer_follows_the_contract(validator: Draft202012Validator, return_every: int, status: str) -> None:
    instruction = issued("PAY-000123")
    answer = settle(instruction, now=NOW, return_every=return_every)
    document = json.loads(encode(answer))
    errors = [e.message for e in validator.iter_errors(document)]
    assert not errors
    assert PaymentSettlementV1.model_validate_json(encode(answer)) == answer
    assert document["status"] == status
    assert (document["payment_id"], document["end_to_end_id"], document["attempt"]) == ("PAY-000123", "PAY-000123", 1)
    assert document["value_date"] == "2021-03-04"
    assert ("return_reason_code" in document) == (status == "returned")
    assert uuid.UUID(document["event_id"]).version == 5
