"""`claims.bank-details.v1`: new bank details sent by an applicant after a returned payment. Key: the claim_id."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field

from guichet_common.contracts.base import ClosedContract, Timestamp

TOPIC = "claims.bank-details.v1"


class ClaimBankDetailsV1(ClosedContract):
    event_id: UUID
    occurred_at: Timestamp
    claim_id: str
    iban: Annotated[str, Field(min_length=15, max_length=34)]
    bic: Annotated[str, Field(pattern=r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")] | None = None
    holder_name: Annotated[str, Field(min_length=1, max_length=140)]
