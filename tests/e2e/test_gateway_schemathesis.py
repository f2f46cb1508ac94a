"""The live gateway against its committed OpenAPI document (issue 17): schemathesis generates requests from
docs/openapi.json, valid and not, sends them with a valid portal key to the stack's gateway, and fails on any
server error or any answer the document does not describe (status, content type, body).

Bounded: MAX_EXAMPLES generated requests per operation in the fuzzing phase, besides the document's examples and
the coverage phase's boundary values; GUICHET_E2E_SCHEMATHESIS_EXAMPLES raises it for a longer hunt."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.e2e

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
MAX_EXAMPLES = int(os.environ.get("GUICHET_E2E_SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module")
async def fuzzing_portal(gateway) -> dict[str, str]:
    """A portal's Authorization header. Its rate limit is far above what the run sends: a 429 is described in the
    document, but would only hide the operations behind it."""
    return (await gateway.add_portal("fuzz", rate_limit_per_minute=1_000_000)).headers


# Loaded when the module is collected: a document that is missing or not valid OpenAPI fails the run at once.
# (schemathesis.pytest.from_fixture would wait for the stack, but its lazy loading breaks on pytest 9's nodes.)
schema = schemathesis.openapi.from_path(DOCUMENT)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_live_gateway_answers_as_its_openapi_document_says(case, gateway, fuzzing_portal) -> None:
    case.call_and_validate(base_url=gateway.url, headers=fuzzing_portal, checks=CHECKS)
