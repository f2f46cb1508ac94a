"""The /v1 routes: each parses, calls one use case of `guichet_gateway.claims`, and shapes the answer."""

import uuid
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from guichet_gateway import claims
from guichet_gateway.digests import PostDigest
from guichet_gateway.http import reasons
from guichet_gateway.http.context import ApiContext, bearer, utc_now
from guichet_gateway.http.models import (
    CLAIM_ID_PATTERN,
    Accepted,
    ClaimHistory,
    ErasedData,
    ReasonCodes,
    StatusChange,
)
from guichet_gateway.http.openapi_docs import BANK_DETAILS_BODY, CLAIM_BODY, responses
from guichet_gateway.http.problems import ProblemError, language_of
from guichet_gateway.http.validation import validated_bank_details, validated_claim
from guichet_gateway.repository import Accepted as AcceptedRow

ClaimId = Annotated[str, Path(pattern=CLAIM_ID_PATTERN, description="The claim's claim_id, as posted")]
log = structlog.get_logger()


def routes(context: ApiContext) -> APIRouter:
    async def portal(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
        return await context.portal(credentials)

    Portal = Annotated[str, Depends(portal)]
    router = APIRouter(prefix="/v1")

    @router.post(
        "/claims",
        operation_id="postClaim",
        status_code=202,
        summary="Post a claim (idempotent by claim_id and body)",
        responses=responses(202, 400, 401, 409, 413, 415, 422, 429, 503, accepted=True),
        openapi_extra=CLAIM_BODY,
    )
    async def post_claim(request: Request, response: Response, portal: Portal) -> Accepted:
        """Takes the `claim` object of claims.submitted.v1 and publishes it with `source` = the portal's name.
        The same body again answers as the first time and publishes nothing; another body under the same
        claim_id (or a claim_id another portal took) is 409 CLAIM_ID_CONFLICT."""
        claim, body_sha256 = validated_claim(await context.json_body(request))
        digest = PostDigest.of(body_sha256, context.digest_key)
        try:
            async with context.unit() as uow:
                accepted = await claims.accept_claim(
                    uow, portal, claim, digest, topic_prefix=context.topic_prefix, now=utc_now()
                )
        except claims.ClaimIdConflict:
            raise ProblemError("CLAIM_ID_CONFLICT") from None
        log.info("claim_accepted", portal=portal, claim_id=claim.claim_id, event_id=str(accepted.event_id))
        return _answer(accepted, response)

    @router.post(
        "/claims/{claim_id}/bank-details",
        operation_id="postBankDetails",
        status_code=202,
        summary="Post new bank details for a claim (idempotent by body)",
        responses=responses(202, 400, 401, 404, 413, 415, 422, 429, 503, accepted=True),
        openapi_extra=BANK_DETAILS_BODY,
    )
    async def post_bank_details(request: Request, response: Response, portal: Portal, claim_id: ClaimId) -> Accepted:
        """Publishes claims.bank-details.v1 for one of the portal's claims (after a payment came back)."""
        raw = await context.json_body(request)
        details, body_sha256 = validated_bank_details(raw, claim_id, uuid.uuid4(), utc_now())
        digest = PostDigest.of(body_sha256, context.digest_key)
        try:
            async with context.unit() as uow:
                accepted = await claims.accept_bank_details(
                    uow, portal, claim_id, details, digest, topic_prefix=context.topic_prefix
                )
        except claims.ClaimNotFound:
            raise ProblemError("NOT_FOUND") from None
        log.info("bank_details_accepted", portal=portal, claim_id=claim_id, event_id=str(accepted.event_id))
        return _answer(accepted, response)

    @router.get(
        "/claims/{claim_id}",
        operation_id="getClaim",
        summary="A claim's status history, reasons with their texts",
        responses=responses(200, 401, 404, 422, 429, 503),
    )
    async def get_claim(request: Request, portal: Portal, claim_id: ClaimId) -> ClaimHistory:
        language = language_of(request.headers.get("accept-language"))
        try:
            async with context.unit() as uow:
                found = await claims.claim_history(uow, portal, claim_id)
        except claims.ClaimNotFound:
            raise ProblemError("NOT_FOUND") from None
        changes = [_change(entry.payload, language) for entry in found.statuses]
        return ClaimHistory(
            claim_id=claim_id,
            accepted_at=found.accepted.accepted_at,
            status=changes[-1].status if changes else None,
            history=changes,
            erased=[ErasedData(kind=kind, erased_on=at.date()) for kind, at in found.erased_at.items()],
        )

    @router.get(
        "/reason-codes",
        operation_id="getReasonCodes",
        summary="The reason codes a status may carry, with French and English texts",
        responses=responses(200, 401, 429, 503),
    )
    async def get_reason_codes(portal: Portal) -> ReasonCodes:
        return ReasonCodes(reason_codes=reasons.entries())

    return router


def _answer(accepted: AcceptedRow, response: Response) -> Accepted:
    status_url = f"/v1/claims/{accepted.claim_id}"
    response.headers["Location"] = status_url
    return Accepted(
        claim_id=accepted.claim_id,
        status_url=status_url,
        event_id=accepted.event_id,
        accepted_at=accepted.accepted_at,
    )


def _change(payload: dict[str, Any], language: str) -> StatusChange:
    return StatusChange(
        event_id=payload["event_id"],
        status=payload["status"],
        occurred_at=payload["occurred_at"],
        reasons=[reasons.reason(code, language) for code in payload.get("reasons", [])],
        amount_cents=payload.get("amount_cents"),
    )
