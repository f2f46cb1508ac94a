"""The project's own events between services. Ours to design; only additive changes within a version.

They may carry bank details (internal topics only): `claims.status.v1` never does.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from guichet_common.contracts.base import Cents, Contract, Siren, Timestamp
from guichet_common.contracts.claim_submitted import SubmittedClaim

CLAIMS_REGISTERED_TOPIC = "intake.claims-registered.v1"
APPLICANT_CONTACTS_TOPIC = "intake.applicant-contacts.v1"
ELIGIBILITY_DECISIONS_TOPIC = "eligibility.decisions.v1"


class ClaimRegisteredV1(Contract):
    """intake -> eligibility: a claim passed intake checks and is registered. Key: the applicant SIREN."""

    event_id: UUID
    occurred_at: Timestamp
    correlation_id: UUID
    claim: SubmittedClaim
    # The submission's `source` (the portal that sent it), for the statuses of later stages; None before it existed.
    source: Annotated[str, Field(max_length=200)] | None = None


class ApplicantContactV1(Contract):
    """intake -> notifications: where to write to the applicant about a claim. Key: the claim_id."""

    event_id: UUID
    occurred_at: Timestamp
    correlation_id: UUID
    claim_id: str
    programme: str
    email: str
    full_name: str
    iban_last4: Annotated[str, Field(max_length=4)] | None = None


class ClaimDecidedV1(Contract):
    """eligibility -> payments: a claim approved for a grant. Key: the applicant SIREN (one aid per SIREN)."""

    event_id: UUID
    occurred_at: Timestamp
    correlation_id: UUID
    claim_id: str
    programme: str
    siren: Siren
    decision: Literal["approved"]
    rule_version: str
    grant_amount_cents: Annotated[Cents, Field(ge=1)]
    submitted_at: Timestamp
    beneficiary_name: Annotated[str, Field(max_length=140)]
    iban: str
    bic: str | None = None
    # The claim's `source` (ClaimRegisteredV1.source), for payments' statuses; None when unknown.
    source: Annotated[str, Field(max_length=200)] | None = None
