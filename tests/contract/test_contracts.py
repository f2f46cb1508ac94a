"""Every example of ../shared/contracts validates against its schema and its model, and what our models
produce validates against the same schemas."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from guichet_common.contracts import (
    PUBLISHED,
    ClaimAppealV1,
    ClaimBankDetailsV1,
    ClaimStatusV1,
    ClaimSubmittedV1,
    PaymentIssuedV1,
    PaymentSettlementV1,
    RegistryCompanyV1,
)
from guichet_common.settings import project_root

CONTRACTS = PUBLISHED
MODELS = {
    "claims.submitted.v1": ClaimSubmittedV1,
    "claims.bank-details.v1": ClaimBankDetailsV1,
    "claims.appeals.v1": ClaimAppealV1,
    "registry.companies.v1": RegistryCompanyV1,
    "claims.status.v1": ClaimStatusV1,
    "payments.issued.v1": PaymentIssuedV1,
    "payments.settlements.v1": PaymentSettlementV1,
}
NOW = dt.datetime(2021, 3, 2, 10, 15, tzinfo=dt.timezone(dt.timedelta(hours=1)))
# What the system publishes itself beside the verbatim copy of ../shared/contracts: the NOTE and the reason-code
# catalogue with its schema (tests/contract/test_reason_codes.py checks those).
OWN_FILES = {"NOTE.md", "reason-codes.v1.json", "reason-codes.v1.schema.json"}


def validator(topic: str) -> Draft202012Validator:
    schema = json.loads((CONTRACTS / f"{topic}.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())


def shared_contracts() -> Path:
    override = os.environ.get("GUICHET_SHARED_DIR")
    return (Path(override) if override else project_root().parent / "shared") / "contracts"


@pytest.mark.skipif(not shared_contracts().is_dir(), reason="no ../shared/contracts beside this clone")
def test_the_shipped_copy_is_the_published_contracts() -> None:
    def files(root: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name not in OWN_FILES
        }

    assert files(PUBLISHED) == files(shared_contracts()), "copy ../shared/contracts into " + str(PUBLISHED)


def test_every_contract_has_a_model() -> None:
    schemas = {p.name.removesuffix(".schema.json") for p in CONTRACTS.glob("*.schema.json") if p.name not in OWN_FILES}
    assert schemas == set(MODELS)


@pytest.mark.parametrize("example", sorted(CONTRACTS.glob("examples/*.json")), ids=lambda p: p.stem)
def test_example_validates_against_schema_and_model(example: Path) -> None:
    topic = example.stem
    payload = json.loads(example.read_text(encoding="utf-8"))
    validator(topic).validate(payload)
    model = MODELS[topic].model_validate_json(example.read_bytes())
    # Round trip: what we would re-publish is still valid.
    validator(topic).validate(json.loads(model.model_dump_json(exclude_none=True)))


def produced_events() -> list[tuple[str, object]]:
    return [
        (
            "claims.status.v1",
            ClaimStatusV1(
                event_id=uuid.uuid4(),
                occurred_at=NOW,
                claim_id="CFN-2021-0000123",
                programme="cheque-france-num-2021",
                siren="642515712",
                status="payment_sent",
                reasons=[],
                amount_cents=50_000,
                payment_id="P123",
                rule_version="2021-01-28",
            ),
        ),
        (
            "claims.status.v1",
            ClaimStatusV1(
                event_id=uuid.uuid4(),
                occurred_at=NOW,
                claim_id="CFN-2021-0000124",
                programme="cheque-france-num-2021",
                status="rejected",
                reasons=["EXPENSES_BELOW_MINIMUM", "ALREADY_AIDED"],
            ),
        ),
        (
            "claims.status.v1",
            ClaimStatusV1(
                event_id=uuid.uuid4(),
                occurred_at=NOW,
                claim_id="CFN-2021-0000124",
                programme="cheque-france-num-2021",
                status="appeal_upheld",
                reasons=["ALREADY_AIDED"],
                source="portal:cheque.francenum.gouv.fr",
                appeal_id="APL-2021-0000042",
            ),
        ),
        (
            "claims.status.v1",
            ClaimStatusV1(
                event_id=uuid.uuid4(),
                occurred_at=NOW,
                claim_id="CFN-2021-0000123",
                programme="cheque-france-num-2021",
                status="recovery_ordered",
                reasons=[],
                amount_cents=50_000,
                recovery_order_id="ODR-2021-0001",
            ),
        ),
        (
            "payments.issued.v1",
            PaymentIssuedV1(
                event_id=uuid.uuid4(),
                occurred_at=NOW,
                payment_id="P" + "a" * 30,
                claim_id="CFN-2021-0000123",
                programme="cheque-france-num-2021",
                siren="642515712",
                beneficiary_name="BOUTIQUE MARTIN MODE",
                iban="FR7693233145437431125912957",
                amount_cents=50_000,
                end_to_end_id="P" + "a" * 30,
                remittance_information="CHEQUE FRANCE NUM 2021 DOSSIER CFN-2021-0000123",
                batch_id="cheque-france-num-2021-20210302",
                requested_execution_date=NOW.date(),
                attempt=1,
            ),
        ),
    ]


@pytest.mark.parametrize(("topic", "event"), produced_events(), ids=lambda v: getattr(v, "status", str(v)))
def test_produced_events_validate_against_schema(topic: str, event: ClaimStatusV1 | PaymentIssuedV1) -> None:
    validator(topic).validate(json.loads(event.model_dump_json(exclude_none=True)))


@pytest.mark.parametrize(
    ("mutation", "field"),
    [
        (lambda c: c["claim"]["applicant"].update(headcount="3"), "headcount"),
        (lambda c: c["claim"].update(extra_field=1), "extra_field"),
        (lambda c: c["claim"].update(submitted_at="2021-03-02T10:15:00"), "submitted_at"),
        (lambda c: c["claim"]["applicant"]["address"].update(country="BE"), "country"),
        (lambda c: c["claim"].update(invoices=[]), "invoices"),
    ],
)
def test_model_refuses_what_the_schema_refuses(mutation, field: str) -> None:
    payload = json.loads((CONTRACTS / "examples" / "claims.submitted.v1.json").read_text(encoding="utf-8"))
    mutation(payload)
    assert not validator("claims.submitted.v1").is_valid(payload)
    with pytest.raises(ValueError, match=field):
        ClaimSubmittedV1.model_validate_json(json.dumps(payload))
