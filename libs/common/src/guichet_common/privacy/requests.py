"""A person's requests over their data, as each service applies them (operator commands `privacy_*`).

The back-office resolves the person (an e-mail, a SIREN, a claim) to their claims, and sends each service an
`OperatorCommandV1` with `claim_ids`, the asker's login and the legal reason:
- `privacy_export`: every service answers on `privacy.access-responses.v1` with what it holds (`access_response`);
- `privacy_erase`: notifications decides (it follows each claim to its final status) and refuses while the claim is
  under review, control or payment; the others follow its `privacy.erased.v1` as for a retention;
- `privacy_rectify`: intake corrects its copy and announces the contact again.
A service implements `PrivacyRequests` for the actions it applies; the others are refused with a reason.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from guichet_common.contracts.backoffice import OperatorCommandV1
from guichet_common.contracts.privacy import (
    ACCESS_RESPONSES_TOPIC,
    PRIVACY_ERASED_TOPIC,
    AccessResponseV1,
    HeldRecordV1,
    PrivacyErasedV1,
)
from guichet_common.outbox import OutboxMessage

_RESPONSE_IDS = uuid.UUID("8a3f5a52-1f7e-4c1e-9d8e-0b6a1c2d3e4f")
_ERASURE_IDS = uuid.UUID("0e1d5c43-7a2b-4d6f-8c9e-5b4a3f2e1d0c")


class PrivacyRequests(Protocol):
    """What a service does with a person's requests; each method runs in the command's savepoint and may raise
    `operator_commands.CommandRefused` (recorded and answered `refused`, with the reason)."""

    async def export(self, uow: Any, command: OperatorCommandV1) -> Sequence[HeldRecordV1]:
        """Everything this service holds about `command.claim_ids`, opened (an erased field reads `erased_on`)."""
        ...

    async def erase(self, uow: Any, command: OperatorCommandV1, now: dt.datetime) -> str:
        """Erase now, or refuse; returns what was done, in words."""
        ...

    async def rectify(self, uow: Any, command: OperatorCommandV1, now: dt.datetime) -> str: ...


def access_response(
    topic_prefix: str, service: str, command: OperatorCommandV1, records: Sequence[HeldRecordV1]
) -> OutboxMessage:
    """This service's part of a subject-access request: one event, keyed by the request (the command) id."""
    event = AccessResponseV1(
        event_id=uuid.uuid5(_RESPONSE_IDS, f"{command.event_id}:{service}"),
        occurred_at=dt.datetime.now(dt.UTC),
        request_id=command.event_id,
        service=service,
        claim_ids=list(command.claim_ids),
        records=list(records),
    )
    return OutboxMessage.of_event(topic_prefix + ACCESS_RESPONSES_TOPIC, str(command.event_id), event)


def erasure_announcement(
    topic_prefix: str,
    service: str,
    *,
    claim_id: str,
    programme: str | None,
    kind: str,
    erased_at: dt.datetime,
    reason: str = "retention",
    request: OperatorCommandV1 | None = None,
    request_id: uuid.UUID | None = None,
    requested_by: str | None = None,
    legal_reason: str | None = None,
) -> OutboxMessage:
    """`privacy.erased.v1`: `service` erased `kind` of `claim_id`. Its id follows (service, claim, kind): one
    announcement per erasure, however often the job that erased it runs. A follower passes on the request fields
    of the announcement it follows (`request_id`, `requested_by`, `legal_reason`)."""
    if request is not None:
        request_id, requested_by, legal_reason = request.event_id, request.requested_by, request.reason
    event = PrivacyErasedV1.model_validate(
        {
            "event_id": uuid.uuid5(_ERASURE_IDS, f"{service}:{claim_id}:{kind}"),
            "occurred_at": dt.datetime.now(dt.UTC),
            "claim_id": claim_id,
            "programme": programme,
            "kind": kind,
            "service": service,
            "reason": "request" if request_id is not None else reason,
            "erased_at": erased_at,
            "request_id": request_id,
            "requested_by": requested_by,
            "legal_reason": legal_reason,
        },
        strict=False,
    )
    return OutboxMessage.of_event(topic_prefix + PRIVACY_ERASED_TOPIC, claim_id, event)


def followed_erasure(
    topic_prefix: str, service: str, cause: PrivacyErasedV1, *, erased_at: dt.datetime, programme: str | None = None
) -> OutboxMessage:
    """`service`'s own announcement of the erasure that `cause` (the announcement it follows) made it apply: the same
    claim, kind and reason, with the request's fields passed on."""
    return erasure_announcement(
        topic_prefix,
        service,
        claim_id=cause.claim_id,
        programme=programme if programme is not None else cause.programme,
        kind=cause.kind,
        erased_at=erased_at,
        reason=cause.reason,
        request_id=cause.request_id,
        requested_by=cause.requested_by,
        legal_reason=cause.legal_reason,
    )
