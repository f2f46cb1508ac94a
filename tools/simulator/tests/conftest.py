from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from guichet_common.contracts import PUBLISHED
from guichet_simulator.generator import SimulatedClaim, generate_claims

SEED = 2021


def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((PUBLISHED / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


@pytest.fixture(scope="session")
def claim_validator() -> Draft202012Validator:
    return _validator("claims.submitted.v1")


@pytest.fixture(scope="session")
def registry_validator() -> Draft202012Validator:
    return _validator("registry.companies.v1")


@pytest.fixture(scope="session")
def many_claims() -> list[SimulatedClaim]:
    return generate_claims(5_000, SEED)


@pytest.fixture(scope="session")
def good_claims(many_claims: list[SimulatedClaim]) -> list[SimulatedClaim]:
    return [c for c in many_claims if not c.expected_reasons]


@pytest.fixture(scope="session")
def by_reason(many_claims: list[SimulatedClaim]) -> dict[str, list[SimulatedClaim]]:
    grouped: dict[str, list[SimulatedClaim]] = {}
    for claim in many_claims:
        for reason in claim.expected_reasons:
            grouped.setdefault(reason, []).append(claim)
    return grouped
