"""Finance-facing contracts: `payments.issued.v1` (system -> finance) and `payments.settlements.v1` (back)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from guichet_common.contracts.base import Contract, Siren, Timestamp

ISSUED_TOPIC = "payments.issued.v1"
SETTLEMENTS_TOPIC = "payments.settlements.v1"


class PaymentIssuedV1(Contract):
    """One payment instruction. Key: payment_id, stable across attempts; each attempt has its own end_to_end_id."""

    event_id: UUID
    occurred_at: Timestamp
    payment_id: Annotated[str, Field(max_length=35)]
    claim_id: str
    programme: str
    siren: Siren
    beneficiary_name: Annotated[str, Field(max_length=140)]
    iban: str
    bic: str | None = None
    amount_cents: Annotated[int, Field(ge=1)]
    currency: Literal["EUR"] = "EUR"
    end_to_end_id: Annotated[str, Field(max_length=35)]
    remittance_information: Annotated[str, Field(max_length=140)]
    batch_id: str
    requested_execution_date: dt.date
    attempt: Annotated[int, Field(ge=1)]


class PaymentSettlementV1(Contract):
    """Finance's report on one payment attempt. Key: payment_id. May arrive more than once."""

    event_id: UUID
    occurred_at: Timestamp
    payment_id: str
    end_to_end_id: str | None = None
    status: Literal["settled", "returned"]
    return_reason_code: Annotated[str, Field(pattern=r"^[A-Z0-9]{4}$")] | None = None
    value_date: dt.date | None = None
    attempt: Annotated[int, Field(ge=1)]
