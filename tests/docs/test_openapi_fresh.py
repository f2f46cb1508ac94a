"""docs/openapi.json is the gateway's /v1 API as the code describes it: a portal integrates from the committed
document, and schemathesis tests the live gateway against it. Regenerate it with `make docs`."""

from __future__ import annotations

import json
from pathlib import Path

from guichet_gateway.openapi import document_text

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_committed_openapi_document_is_the_codes() -> None:
    assert COMMITTED.exists(), "docs/openapi.json is missing: run `make docs`"
    assert COMMITTED.read_text(encoding="utf-8") == document_text(), "docs/openapi.json is stale: run `make docs`"


def test_every_error_answer_is_documented_as_problem_json() -> None:
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"HTTPBearer": []}], (method, path)
            for code, answer in operation["responses"].items():
                if int(code) >= 400:
                    assert list(answer["content"]) == ["application/problem+json"], (method, path, code)
            assert {"401", "429", "503"} <= set(operation["responses"]), (method, path)
