"""What can still be read off a submission that fails its schema, so the portal hears why it was refused.

Only values that are safe to publish are kept: each goes into a status event, a contact and, from there, an e-mail.
A claim_id must match the contract's pattern in full (Python's `$` would accept a trailing newline), and free text
with a control character (CR/LF, NUL, U+2028, bidi overrides) is dropped rather than passed on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

from guichet_common.canonical import text_is_clean

_CLAIM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{7,63}")
_SIREN = re.compile(r"[0-9]{9}")
UNKNOWN_PROGRAMME_NAME = "unknown"


@dataclass(frozen=True)
class Salvaged:
    claim_id: str
    programme: str
    siren: str | None
    email: str | None
    full_name: str | None
    source: str | None = None  # the portal the statuses name (ClaimStatusV1.source)


def salvage(payload: dict[str, Any]) -> Salvaged | None:
    """The claim's addressable parts, or None when there is no valid claim_id to publish a status for."""
    claim = payload.get("claim")
    if not isinstance(claim, dict):
        return None
    claim_id = usable_claim_id(claim.get("claim_id"))
    if claim_id is None:
        return None
    applicant = claim.get("applicant") if isinstance(claim.get("applicant"), dict) else {}
    contact = claim.get("contact") if isinstance(claim.get("contact"), dict) else {}
    siren = applicant.get("siren")
    full_name = contact.get("full_name")
    return addressee(
        claim_id,
        claim.get("programme"),
        siren if isinstance(siren, str) and _SIREN.fullmatch(siren) else None,
        _valid_email(contact.get("email")),
        full_name[:200] if isinstance(full_name, str) else None,
        source=payload.get("source"),
    )


def usable_claim_id(value: Any) -> str | None:
    """The claim_id when it matches the contract's pattern in full: only such a value may reach SQL or a status
    (PostgreSQL refuses a NUL outright, which would fail the whole batch rather than this one record)."""
    return value if isinstance(value, str) and _CLAIM_ID.fullmatch(value) else None


def addressee(
    claim_id: str, programme: Any, siren: str | None, email: str | None, full_name: Any, *, source: Any = None
) -> Salvaged:
    """Who and what a status or contact may name: free text only when it is clean."""
    return Salvaged(
        claim_id=claim_id,
        programme=programme if _clean(programme) and len(programme) <= 64 else UNKNOWN_PROGRAMME_NAME,
        siren=siren,
        email=email,
        full_name=full_name if _clean(full_name) else None,
        source=source if _clean(source) and len(source) <= 100 else None,
    )


def _clean(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and text_is_clean(value)


def _valid_email(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > 254 or not text_is_clean(value):
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        return None
