"""What the OpenAPI document says beyond what FastAPI infers: request bodies are the published contracts' JSON
Schemas (the body is read raw, so that the same schema checks it), and every error answer is problem+json."""

from __future__ import annotations

from typing import Any

from guichet_gateway.http.models import Accepted, Problem
from guichet_gateway.http.validation import bank_details_body_schema, claim_schema

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_MEDIA_TYPE = "application/problem+json"
NO_NUL = "^[^\\x00]*$"
# email-validator's special-use domains (RFC 6761): an address ending in one of them is refused.
SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test")
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer", "minimum": 1}}
}
_DESCRIPTIONS = {
    200: "OK",
    202: "Accepted: the event is published through the outbox. The same post again gets the same answer.",
    400: "BODY_NOT_JSON: the body is not UTF-8 JSON",
    401: "UNAUTHORIZED: API key missing, unknown, rotated, or the portal is disabled",
    404: "NOT_FOUND: no claim of this portal has this claim_id",
    409: "CLAIM_ID_CONFLICT: this claim_id was posted before with another body",
    413: "BODY_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE: send application/json",
    422: "SCHEMA_INVALID: `errors` lists each field refused, by JSON Pointer",
    429: "RATE_LIMITED: over the portal's requests per minute",
    503: "UNAVAILABLE: the service is starting or its database is away",
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    429: _RETRY_AFTER,
    503: _RETRY_AFTER,
}


def _body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


def _as_checked(schema: Any) -> Any:
    """The contract's schema with what the API refuses beyond it, so that the document (and the requests generated
    from it) says so: U+0000 in free text (PostgreSQL text cannot hold it), and e-mail addresses on special-use
    domains (the contract model's e-mail check refuses them, as intake does)."""
    if isinstance(schema, list):
        return [_as_checked(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    copied = {key: _as_checked(value) for key, value in schema.items()}
    if copied.get("type") == "string" and "pattern" not in copied and "format" not in copied:
        copied["pattern"] = NO_NUL
    if copied.get("format") == "email":
        copied["not"] = {"pattern": SPECIAL_USE_DOMAIN}
    return copied


def _any_case(word: str) -> str:
    return "".join(f"[{letter}{letter.upper()}]" for letter in word)


SPECIAL_USE_DOMAIN = "[.@](" + "|".join(_any_case(name) for name in SPECIAL_USE) + ")[.]?$"
CLAIM_BODY = _body(
    _as_checked(claim_schema()), "The `claim` object of claims.submitted.v1, as its published JSON Schema says"
)
BANK_DETAILS_BODY = _body(
    _as_checked(bank_details_body_schema()), "claims.bank-details.v1 without event_id, occurred_at, claim_id"
)


def responses(*codes: int, accepted: bool = False) -> dict[int | str, dict[str, Any]]:
    """The documented answers of a route: the success first, then its problems."""
    documented: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        entry: dict[str, Any] = {"description": _DESCRIPTIONS[code]}
        if code >= 400:
            entry["model"] = Problem
        if headers := _HEADERS.get(code):
            entry["headers"] = headers
        if code == 202 and accepted:
            entry["model"] = Accepted
            entry["headers"] = {"Location": {"description": "The status URL", "schema": {"type": "string"}}}
        documented[code] = entry
    return documented


def problems_as_problem_json(document: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents every model as application/json: the error answers are application/problem+json."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for code, answer in operation.get("responses", {}).items():
                if code.isdigit() and int(code) >= 400:
                    answer["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
    return document
