"""A person's requests over their data, as the back-office gathers them: the subject-access request (the services'
answers and the back-office's own part) and how an erased field reads. Plain values and rules, no I/O."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The services that answer a subject-access request (each implements PrivacyRequests.export); the back-office
# adds its own part when the export is read.
EXPORTING_SERVICES = ("intake", "eligibility", "payments", "notifications", "gateway")
SELECTORS = ("email", "siren", "claim_id")
# Who may ask: the roles that already see personal data unmasked on the dead-letter pages (supervisor, auditor).
PRIVACY_ROLES = ("supervisor", "auditor")
# An export holds personal data in clear: the back-office keeps the request and its answers this long.
EXPORTS_KEPT_DAYS = 30
# Which kind of personal data each field of the back-office's own rows is (what an erasure of that kind empties).
FIELD_KINDS = {
    "contact": "contact",
    "address": "contact",
    "recipient": "contact",
    "iban_last4": "bank",
    "beneficiary_name": "bank",
}


@dataclass(frozen=True)
class Held:
    """One row of the back-office's read model about a claim, as stored (None: erased)."""

    store: str
    claim_id: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class ExportRequest:
    request_id: uuid.UUID
    requested_by: str
    reason: str
    subject: Mapping[str, str]  # {"email"|"siren"|"claim_id": value}
    claim_ids: tuple[str, ...]
    services: tuple[str, ...]
    requested_at: dt.datetime


@dataclass(frozen=True)
class AccessPart:
    """One service's answer to a subject-access request."""

    request_id: uuid.UUID
    service: str
    claim_ids: tuple[str, ...]
    records: Sequence[Mapping[str, Any]]  # HeldRecordV1 as JSON
    received_at: dt.datetime


def erased_on(at: dt.datetime | None) -> dict[str, str | None]:
    return {"erased_on": at.date().isoformat() if at else None}


def effaced_label(at: dt.datetime | None) -> str:
    """How a French page says a field was erased: "effacé le JJ/MM/AAAA"."""
    return f"effacé le {at:%d/%m/%Y}" if at else "effacé"


def own_records(held: Sequence[Held], erased: Mapping[tuple[str, str], dt.datetime]) -> list[dict[str, Any]]:
    """The back-office's part of an export: its rows, each erased field read as {"erased_on": date}."""
    records = []
    for row in held:
        fields = dict(row.fields)
        for name, kind in FIELD_KINDS.items():
            if name in fields and fields[name] is None and (row.claim_id, kind) in erased:
                fields[name] = erased_on(erased[(row.claim_id, kind)])
        records.append({"store": row.store, "claim_id": row.claim_id, "fields": fields})
    return records


def export_json(
    request: ExportRequest, parts: Sequence[AccessPart], own: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """GET /api/privacy/exports/{id}: complete once every service asked has answered."""
    answered = {part.service for part in parts}
    missing = [service for service in request.services if service not in answered]
    return {
        "request_id": str(request.request_id),
        "complete": not missing,
        "missing": missing,
        "subject": dict(request.subject),
        "claim_ids": list(request.claim_ids),
        "requested_by": request.requested_by,
        "requested_at": request.requested_at.isoformat(),
        "parts": [{"service": "backoffice", "records": list(own)}]
        + [{"service": part.service, "records": list(part.records)} for part in parts],
    }


def selector_of(body: Mapping[str, Any]) -> tuple[str, str] | None:
    """The one way the person is designated in a request's body, or None when there is not exactly one."""
    given = [(name, body[name]) for name in SELECTORS if isinstance(body.get(name), str) and body[name].strip()]
    if len(given) != 1:
        return None
    name, value = given[0]
    return name, value.strip()
