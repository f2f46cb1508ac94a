"""Request bodies checked against the published contracts: JSON first, then the contract's JSON Schema (the same
document portals on Kafka are held to), then the pydantic model the pipeline reads it with.

Every refusal says where (a JSON Pointer) and why, in French and English, and never echoes the value: a body
holds IBANs, names and e-mail addresses. Whatever the bytes, the outcome is a model or `InvalidBody`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import uuid
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError  # type: ignore[import-untyped]
from pydantic import ValidationError as ModelError

from guichet_common.contracts.bank_details import ClaimBankDetailsV1
from guichet_common.contracts.claim_submitted import SubmittedClaim

MAX_ERRORS = 20
BANK_DETAILS_FIELDS = ("iban", "bic", "holder_name")


@dataclass(frozen=True)
class FieldError:
    pointer: str  # RFC 6901, into the request body
    message_fr: str
    message_en: str

    def as_json(self, language: str) -> dict[str, str]:
        return {"pointer": self.pointer, "message": self.message_en if language == "en" else self.message_fr}


class InvalidBody(Exception):
    """`code` is BODY_NOT_JSON (not JSON at all) or SCHEMA_INVALID (JSON, but not what the contract says)."""

    def __init__(self, code: str, errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(code)
        self.code = code
        self.errors = errors


@cache
def published_schema(name: str) -> dict[str, Any]:
    path = resources.files("guichet_common.contracts") / "published" / f"{name}.schema.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def claim_schema() -> dict[str, Any]:
    """The `claim` object of claims.submitted.v1: what POST /v1/claims takes."""
    claim: dict[str, Any] = published_schema("claims.submitted.v1")["properties"]["claim"]
    return claim


def bank_details_body_schema() -> dict[str, Any]:
    """claims.bank-details.v1 without what the gateway adds (event_id, occurred_at, claim_id)."""
    event = published_schema("claims.bank-details.v1")
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [name for name in event["required"] if name in BANK_DETAILS_FIELDS],
        "properties": {name: event["properties"][name] for name in BANK_DETAILS_FIELDS},
    }


def validated_claim(raw: bytes) -> tuple[SubmittedClaim, bytes]:
    """The claim a body holds and the SHA-256 of its canonical JSON (what tells a repeated post from another)."""
    value, canonical = _json(raw)
    _check(claim_schema(), value)
    return _model(SubmittedClaim, canonical), hashlib.sha256(canonical).digest()


def validated_bank_details(
    raw: bytes, claim_id: str, event_id: uuid.UUID, now: dt.datetime
) -> tuple[ClaimBankDetailsV1, bytes]:
    """The claims.bank-details.v1 event a body makes once wrapped, and the body's canonical SHA-256."""
    value, canonical = _json(raw)
    _check(bank_details_body_schema(), value)
    event = {"event_id": str(event_id), "occurred_at": now.isoformat(), "claim_id": claim_id, **value}
    _check(published_schema("claims.bank-details.v1"), event)
    model = _model(ClaimBankDetailsV1, json.dumps(event, ensure_ascii=False).encode("utf-8"))
    return model, hashlib.sha256(canonical).digest()


def _json(raw: bytes) -> tuple[Any, bytes]:
    try:
        value = json.loads(raw, parse_constant=_refuse, parse_float=_finite)
        canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError) as error:  # invalid UTF-8 or JSON, lone surrogates, too deep, huge ints
        raise InvalidBody("BODY_NOT_JSON") from error
    if (where := _nul_at(value)) is not None:  # PostgreSQL text cannot hold U+0000: refused here, not failed later
        raise InvalidBody("SCHEMA_INVALID", (FieldError(where, "caractère nul interdit", "NUL character"),))
    return value, canonical


def _refuse(constant: str) -> float:
    raise ValueError(f"{constant} is not JSON")


def _finite(text: str) -> float | int:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("number out of range")
    # JSON Schema counts 3.0 as an integer, the contract models do not: the same number either way, and one hash.
    return int(number) if number.is_integer() else number


def _nul_at(value: Any) -> str | None:
    stack: list[tuple[str, Any]] = [("", value)]  # iterative: bodies nest as deep as the JSON parser allows
    while stack:
        pointer, item = stack.pop()
        if isinstance(item, str) and "\x00" in item:
            return pointer
        if isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    return pointer
                stack.append((f"{pointer}/{_escape(key)}", child))
        elif isinstance(item, list):
            stack.extend((f"{pointer}/{index}", child) for index, child in enumerate(item))
    return None


def _check(schema: dict[str, Any], value: Any) -> None:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors: list[FieldError] = []
    for error in validator.iter_errors(value):
        errors.extend(_explained(error))
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise InvalidBody("SCHEMA_INVALID", tuple(sorted(errors[:MAX_ERRORS], key=lambda e: e.pointer)))


def _model(model: Any, canonical: bytes) -> Any:
    try:
        return model.model_validate_json(canonical)
    except ModelError as error:
        found = tuple(
            FieldError(_pointer(e["loc"]), "valeur refusée : " + e["msg"], e["msg"])
            for e in error.errors(include_url=False, include_input=False, include_context=False)[:MAX_ERRORS]
        )
        raise InvalidBody("SCHEMA_INVALID", found) from None


def _explained(error: ValidationError) -> list[FieldError]:
    here = _pointer(error.absolute_path)
    rule, limit, instance = error.validator, error.validator_value, error.instance
    if rule == "required" and isinstance(instance, dict):
        missing = [name for name in limit if name not in instance]
        return [
            FieldError(f"{here}/{_escape(n)}", "champ obligatoire absent", "required field missing") for n in missing
        ]
    if rule == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {})
        extra = [name for name in instance if name not in known][:MAX_ERRORS]
        return [FieldError(f"{here}/{_escape(n)}", "champ inconnu", "unknown field") for n in extra]
    fr, en = _MESSAGES.get(str(rule), ("valeur invalide", "invalid value"))
    shown = _shown(limit)
    return [FieldError(here, fr.format(shown), en.format(shown))]


_MESSAGES = {
    "type": ("doit être de type {}", "must be of type {}"),
    "minLength": ("au moins {} caractères", "at least {} characters"),
    "maxLength": ("au plus {} caractères", "at most {} characters"),
    "pattern": ("ne respecte pas le motif {}", "does not match the pattern {}"),
    "minimum": ("doit valoir au moins {}", "must be at least {}"),
    "maximum": ("doit valoir au plus {}", "must be at most {}"),
    "minItems": ("au moins {} éléments", "at least {} items"),
    "maxItems": ("au plus {} éléments", "at most {} items"),
    "const": ("doit valoir {}", "must be {}"),
    "enum": ("doit être l'une des valeurs {}", "must be one of {}"),
    "format": ("n'est pas au format {}", "is not a valid {}"),
}


def _shown(limit: Any) -> str:
    if isinstance(limit, list):
        return ", ".join(json.dumps(item, ensure_ascii=False) for item in limit)
    return limit if isinstance(limit, str) else json.dumps(limit, ensure_ascii=False)


def _pointer(path: Any) -> str:
    return "".join(f"/{_escape(str(part))}" for part in path)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
