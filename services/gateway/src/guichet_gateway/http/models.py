"""The API's answers as pydantic models: they are what the OpenAPI document (docs/openapi.json) says."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from guichet_common.contracts.status import ClaimStatus

CLAIM_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{7,63}$"  # claims.submitted.v1's


class Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Accepted(Answer):
    """A post taken: its event is on its way through the outbox. The same post again gets this same answer."""

    claim_id: Annotated[str, Field(pattern=CLAIM_ID_PATTERN)]
    status_url: Annotated[str, Field(description="Where the claim's status history is read (GET)")]
    event_id: Annotated[UUID, Field(description="The id of the event published for this post")]
    accepted_at: AwareDatetime


class Reason(Answer):
    code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]+$")]
    text: Annotated[str, Field(description="In the request's language (Accept-Language: fr by default, or en)")]


class StatusChange(Answer):
    event_id: Annotated[UUID, Field(description="The status event's id: also the webhook-id of its webhook")]
    status: ClaimStatus
    occurred_at: AwareDatetime
    reasons: list[Reason]
    amount_cents: Annotated[int, Field(ge=0)] | None = None


class ErasedData(Answer):
    """The agency erased this kind of the applicant's personal data (retention, or the person's request)."""

    kind: Annotated[
        Literal["contact", "bank"],
        Field(description="contact: name, e-mail, phone; bank: IBAN, BIC, account holder"),
    ]
    erased_on: dt.date


class ClaimHistory(Answer):
    claim_id: Annotated[str, Field(pattern=CLAIM_ID_PATTERN)]
    accepted_at: AwareDatetime
    status: Annotated[ClaimStatus | None, Field(description="The latest status; null until the first one")]
    history: Annotated[list[StatusChange], Field(description="Every status, oldest first")]
    erased: Annotated[
        list[ErasedData],
        Field(
            description="The personal data erased since the claim was posted, by kind; the history is unchanged, and"
            " the same post again still gets its first answer (nothing is published again)"
        ),
    ] = []


class ReasonCodeEntry(Answer):
    code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]+$")]
    service: Literal["intake", "eligibility", "payments"]
    statuses: Annotated[list[ClaimStatus], Field(description="The statuses it may appear on; empty: on none")]
    text_fr: str
    text_en: str
    specification: Annotated[str | None, Field(description="The specification's wording, when it has one")] = None
    specification_source: str | None = None
    condition: Annotated[str, Field(description="When the service gives this code (English)")]


class ReasonCodes(Answer):
    reason_codes: list[ReasonCodeEntry]


class ProblemFieldError(Answer):
    pointer: Annotated[str, Field(description="JSON Pointer (RFC 6901) into the request body or /path/<name>")]
    message: str


class Problem(Answer):
    """RFC 9457 problem details, in French or English as Accept-Language asks."""

    type: Annotated[str, Field(description="https://guichet.example/problems/<code>: an identifier, not a page")]
    title: str
    status: Annotated[int, Field(ge=400, le=599)]
    detail: str
    instance: Annotated[str, Field(description="The request's path")]
    code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]+$")]
    errors: list[ProblemFieldError] | None = None
