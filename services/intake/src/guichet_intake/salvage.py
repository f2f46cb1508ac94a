"""What can still be read off a submission that fails its schema, so the portal hears why it was refused."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

_CLAIM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{7,63}$")
_SIREN = re.compile(r"^[0-9]{9}$")


@dataclass(frozen=True)
class Salvaged:
    claim_id: str
    programme: str
    siren: str | None
    email: str | None
    full_name: str | None


def salvage(payload: dict[str, Any]) -> Salvaged | None:
    """The claim's addressable parts, or None when there is no valid claim_id to publish a status for."""
    claim = payload.get("claim")
    if not isinstance(claim, dict):
        return None
    claim_id = claim.get("claim_id")
    if not isinstance(claim_id, str) or not _CLAIM_ID.match(claim_id):
        return None
    programme = claim.get("programme")
    applicant = claim.get("applicant") if isinstance(claim.get("applicant"), dict) else {}
    contact = claim.get("contact") if isinstance(claim.get("contact"), dict) else {}
    siren = applicant.get("siren")
    full_name = contact.get("full_name")
    return Salvaged(
        claim_id=claim_id,
        programme=programme if isinstance(programme, str) and 0 < len(programme) <= 64 else "unknown",
        siren=siren if isinstance(siren, str) and _SIREN.match(siren) else None,
        email=_valid_email(contact.get("email")),
        full_name=full_name[:200] if isinstance(full_name, str) and full_name else None,
    )


def _valid_email(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > 254:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        return None
