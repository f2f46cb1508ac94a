"""`claims.appeals.v1`: an applicant contests a refusal, a rejection or a recovery order (recours gracieux).

Published by portals, or by the system for an appeal received by post. Key: the claim_id. The same `appeal_id`
again is a duplicate.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from guichet_common.contracts.base import ClosedContract, Timestamp
from guichet_common.contracts.claim_submitted import Invoice

TOPIC = "claims.appeals.v1"

ContestedStatus = Literal["refused", "rejected", "recovery_ordered"]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class CorrectedFacts(ClosedContract):
    """Facts the applicant says were wrong, named and typed as in `claims.submitted.v1`."""

    headcount: Annotated[int, Field(ge=0, le=100_000)] | None = None
    annual_turnover_cents: Annotated[int, Field(ge=0)] | None = None
    activity_started_on: dt.date | None = None
    naf_code: Annotated[str, Field(pattern=r"^[0-9]{2}\.[0-9]{2}[A-Z]$")] | None = None
    invoices: Annotated[list[Invoice], Field(max_length=50)] | None = None


class AppealDocument(ClosedContract):
    document_id: Annotated[str, Field(min_length=1, max_length=128)]
    kind: Literal["invoice", "proof_of_payment", "registry_extract", "other"]
    sha256: Sha256


class Appeal(ClosedContract):
    appeal_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    claim_id: Annotated[str, Field(min_length=1, max_length=64)]
    contested_status: ContestedStatus
    # The claims.status.v1 event that announced the contested decision, when the portal knows it.
    contested_event_id: UUID | None = None
    # Postmark or portal time: the appeal deadline is judged on it, in Paris time.
    filed_at: Timestamp
    grounds: Annotated[str, Field(min_length=1, max_length=5000)]
    corrected_facts: CorrectedFacts | None = None
    documents: Annotated[list[AppealDocument], Field(max_length=20)] | None = None


class ClaimAppealV1(ClosedContract):
    event_id: UUID
    occurred_at: Timestamp
    source: Annotated[str, Field(min_length=1, max_length=200)]
    appeal: Appeal
