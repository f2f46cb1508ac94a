"""Request bodies against the published contracts: hostile bytes end as a refusal that says where and why,
never as an exception, and never echo a value back."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid

import pytest

from guichet_gateway.http.validation import InvalidBody, validated_bank_details, validated_claim

from .fakes import EXAMPLE_CLAIM

NOW = dt.datetime(2026, 12, 3, 14, 0, tzinfo=dt.UTC)


def body(**changes: object) -> bytes:
    return json.dumps({**EXAMPLE_CLAIM, **changes}).encode()


def refusal(raw: bytes) -> InvalidBody:
    with pytest.raises(InvalidBody) as refused:
        validated_claim(raw)
    return refused.value


def test_the_published_example_is_accepted_and_hashed_canonically() -> None:
    claim, digest = validated_claim(body())
    reordered = json.dumps(dict(reversed(list(EXAMPLE_CLAIM.items()))), indent=4).encode()

    assert claim.claim_id == EXAMPLE_CLAIM["claim_id"]
    assert validated_claim(reordered)[1] == digest
    assert validated_claim(body(programme="autre"))[1] != digest
    assert (
        digest
        == hashlib.sha256(
            json.dumps(EXAMPLE_CLAIM, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        ).digest()
    )


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"\xff\xfe\x00", b'{"a": NaN}', b"1e999", b"[" * 100_000 + b"]" * 100_000, b'"\\ud800"', b"9" * 5000],
)
def test_what_is_not_json_is_refused_as_such(raw: bytes) -> None:
    assert refusal(raw).code == "BODY_NOT_JSON"


def test_each_refused_field_is_named_by_its_pointer_without_its_value() -> None:
    claim = json.loads(body())
    del claim["contact"]
    claim["applicant"]["siren"] = "SECRET-VALUE"
    claim["surprise"] = 1
    refused = refusal(json.dumps(claim).encode())

    assert refused.code == "SCHEMA_INVALID"
    assert {error.pointer for error in refused.errors} == {"/contact", "/applicant/siren", "/surprise"}
    assert "SECRET-VALUE" not in repr([error.as_json("fr") for error in refused.errors])
    assert {error.as_json("en")["message"] for error in refused.errors} >= {"required field missing", "unknown field"}


@pytest.mark.parametrize("raw", [b"[]", b"null", b'"claim"', b"{}"])
def test_json_that_is_not_a_claim_is_invalid(raw: bytes) -> None:
    assert refusal(raw).code == "SCHEMA_INVALID"


def test_a_nul_character_is_refused_before_it_reaches_postgresql() -> None:
    refused = refusal(body(programme="cheque\u0000"))
    assert [error.pointer for error in refused.errors] == ["/programme"]


def test_what_the_schema_allows_but_the_model_refuses_is_invalid_too() -> None:
    refused = refusal(body(contact={**EXAMPLE_CLAIM["contact"], "email": "not-an-address@"}))
    assert refused.code == "SCHEMA_INVALID" and refused.errors[0].pointer == "/contact/email"


def test_bank_details_are_wrapped_into_their_event_and_nothing_else_is_taken() -> None:
    raw = json.dumps({"iban": "FR7630006000011234567890189", "holder_name": "MARTIN"}).encode()
    event_id = uuid.uuid4()
    event, digest = validated_bank_details(raw, "CFN-2021-0000123", event_id, NOW)

    assert (event.event_id, event.claim_id, event.occurred_at, event.bic) == (event_id, "CFN-2021-0000123", NOW, None)
    assert validated_bank_details(raw, "CFN-2021-0000123", uuid.uuid4(), NOW)[1] == digest
    with pytest.raises(InvalidBody) as refused:
        validated_bank_details(
            json.dumps({"iban": "FR76", "holder_name": "M", "claim_id": "X"}).encode(),
            "CFN-2021-0000123",
            event_id,
            NOW,
        )
    assert {error.pointer for error in refused.value.errors} == {"/iban", "/claim_id"}


def test_an_integer_written_as_3_0_is_the_same_integer_and_the_same_post() -> None:
    applicant = {**EXAMPLE_CLAIM["applicant"], "headcount": 3}
    as_float = body(applicant=applicant).replace(b'"headcount": 3', b'"headcount": 3.0')

    assert b"3.0" in as_float
    assert validated_claim(as_float) == validated_claim(body(applicant=applicant))
