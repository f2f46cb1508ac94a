"""Personal data's own events (internal topics; ours to design, only additive changes within a version).

- `privacy.claim-keys.v1` (compacted; key: the subject): a subject's data keys, each wrapped by the master key. A
  kind set to null, or a tombstone (a record without value), destroys keys: every service keeping a copy destroys
  it too, and compaction then removes the older announcements from the log.
- `privacy.erased.v1` (key: the claim_id): one service erased one kind of a claim's personal data, by retention or
  at a person's request. Notifications' announcement starts the others' (see guichet_common.privacy).
- `privacy.access-responses.v1` (key: the request id): what one service holds about the claims of a subject-access
  request (article 15), for the back-office to gather. Short retention: it is personal data in clear.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field

from guichet_common.contracts.base import Contract, Timestamp

CLAIM_KEYS_TOPIC = "privacy.claim-keys.v1"
PRIVACY_ERASED_TOPIC = "privacy.erased.v1"
ACCESS_RESPONSES_TOPIC = "privacy.access-responses.v1"

DataKind = Literal["contact", "bank"]

# Why a person's request was refused: the first word of a refused command's outcome detail (`guichet privacy`
# prints it). They are never on a claim's status, so they are not reason codes (reason-codes.v1.json).
REQUEST_REFUSAL_CODES: dict[str, str] = {
    "ERASURE_REFUSED_UNDER_REVIEW": "the claim is under review: its data is needed to decide",
    "ERASURE_REFUSED_UNDER_CONTROL": "the claim is under a post-payment control or a recovery",
    "ERASURE_REFUSED_PAYMENT_IN_PROGRESS": "the grant is approved and its payment not final",
    "ERASURE_REFUSED_NOT_FINAL": "the claim has no final status yet (or no claim was named)",
    "RECTIFICATION_REFUSED_UNKNOWN_CLAIM": "intake holds no such claim",
    "RECTIFICATION_REFUSED_ERASED": "the contact was erased: there is nothing left to correct",
    "RECTIFICATION_REFUSED_INVALID": "the new value is not a valid e-mail address, name or phone number",
}
Subject = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{1,79}$")]


class ClaimKeysV1(Contract):
    """A subject's data keys (base64 of the wrapped key; null: destroyed). Key: the subject."""

    subject: Subject
    owner: Literal["intake", "payments"]
    keys: dict[DataKind, str | None]
    occurred_at: Timestamp


class PrivacyErasedV1(Contract):
    """One service erased (or pseudonymised) one kind of a claim's personal data. Key: the claim_id."""

    event_id: UUID
    occurred_at: Timestamp
    claim_id: str
    programme: str | None = None
    kind: DataKind
    service: str
    reason: Literal["retention", "request"]
    erased_at: Timestamp
    # For an erasure a person asked for: the request (the operator command's id), who asked, and the legal reason.
    request_id: UUID | None = None
    requested_by: str | None = None
    legal_reason: Annotated[str, Field(max_length=2000)] | None = None


class HeldRecordV1(Contract):
    """One row (or one kept document) about the subject: where it is, and its fields as this service holds them.
    A field erased by retention shows as `{"erased_on": "<date>"}`."""

    store: Annotated[str, Field(max_length=200)]  # "table claims", "file 20210601-B1.xml", ...
    claim_id: str | None = None
    fields: dict[str, Any]


class AccessResponseV1(Contract):
    """A service's part of a subject-access request. Key: the request id (the operator command's id)."""

    event_id: UUID
    occurred_at: Timestamp
    request_id: UUID
    service: str
    claim_ids: list[str]
    records: list[HeldRecordV1]


def erased_on(at: dt.datetime | None) -> dict[str, str | None]:
    """How an erased field reads in an export or a view: {"erased_on": "YYYY-MM-DD"}."""
    return {"erased_on": at.date().isoformat() if at else None}
