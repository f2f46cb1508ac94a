"""`claims.status.v1`: one event per change of a claim's status, for portals and applicants. Key: the claim_id.

Carries no bank details and no e-mail address.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args
from uuid import UUID

from pydantic import Field

from guichet_common.contracts.base import Cents, Contract, Siren, Timestamp

TOPIC = "claims.status.v1"

ClaimStatus = Literal[
    "received",
    "refused",
    "under_review",
    "rejected",
    "approved",
    "waitlisted",
    "payment_scheduled",
    "payment_sent",
    "paid",
    "payment_returned",
    "under_control",
    "control_closed",
    "recovery_ordered",
    "recovered",
    "appeal_received",
    "appeal_upheld",
]
# The same names as a set, for code that reads statuses as plain strings (the tools, off Kafka's JSON): their
# own sets of final or decided statuses are subsets of it, which tests/architecture checks.
CLAIM_STATUSES: frozenset[str] = frozenset(get_args(ClaimStatus))

ReasonCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]+$")]


class ClaimStatusV1(Contract):
    event_id: UUID
    occurred_at: Timestamp
    claim_id: str
    programme: str
    siren: Siren | None = None
    status: ClaimStatus
    reasons: list[ReasonCode]
    rule_version: str | None = None
    amount_cents: Cents | None = None
    payment_id: str | None = None
    # The `source` of the claims.submitted.v1 event that created the claim, so a portal can pick out its own.
    source: Annotated[str, Field(max_length=200)] | None = None
    appeal_id: str | None = None
    recovery_order_id: str | None = None
