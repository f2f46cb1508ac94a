"""The portals' use cases: accept a claim, accept bank details for one, read a claim's status history.

A post is idempotent by its claim_id and the digest of its body (guichet_gateway.digests): the same body again gets the
first answer and publishes nothing; another body under a taken claim_id is a conflict. The event goes through the
outbox in the transaction that records the post, so a post is answered 202 only once its event is sure to leave.
An identical post replayed after the claim's personal data was erased still gets its first answer and publishes
nothing (guichet_gateway.privacy.service says why).

A portal sees and changes its own claims only: another's is "not found", never "forbidden", so claim_ids of other
portals cannot be probed."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from guichet_common.contracts.bank_details import TOPIC as BANK_DETAILS_TOPIC
from guichet_common.contracts.bank_details import ClaimBankDetailsV1
from guichet_common.contracts.claim_submitted import TOPIC as SUBMITTED_TOPIC
from guichet_common.contracts.claim_submitted import ClaimSubmittedV1, SubmittedClaim
from guichet_common.outbox import OutboxMessage
from guichet_common.privacy.erasures import Erasures
from guichet_gateway.digests import PostDigest
from guichet_gateway.repository import Accepted, StatusEntry


class ClaimIdConflict(Exception):
    """The claim_id was posted before with another body, or by another portal (which is not said)."""


class ClaimNotFound(Exception):
    """No claim of this portal has that claim_id."""


class GatewayRecords(Protocol):
    async def accepted_claim(self, claim_id: str) -> Accepted | None: ...
    async def accept_claim(self, accepted: Accepted, programme: str) -> bool: ...
    async def accepted_bank_details(self, claim_id: str, digests: Sequence[bytes]) -> Accepted | None: ...
    async def accept_bank_details(self, accepted: Accepted) -> bool: ...
    async def history(self, claim_id: str) -> list[StatusEntry]: ...
    async def programmes_of(self, claim_ids: Iterable[str]) -> dict[str, str]: ...


class GatewayWork(Protocol):
    """What the use cases need of a unit of work (`GatewayUnitOfWork`, or the unit tests' in-memory one)."""

    @property
    def gateway(self) -> GatewayRecords: ...
    @property
    def erasures(self) -> Erasures: ...
    def publish(self, messages: Iterable[OutboxMessage]) -> None: ...
    async def commit(self) -> None: ...


async def accept_claim(
    uow: GatewayWork,
    portal: str,
    claim: SubmittedClaim,
    digest: PostDigest,
    *,
    topic_prefix: str,
    now: dt.datetime,
) -> Accepted:
    """Record a portal's claim and publish it as `claims.submitted.v1` (source: the portal), or give the first
    answer again when the same portal posted the same body before. Raises ClaimIdConflict otherwise."""
    for _ in range(2):  # a concurrent first post of the same claim_id wins the insert: read its answer then
        if (first := await uow.gateway.accepted_claim(claim.claim_id)) is not None:
            return _same_post(first, portal, digest)
        accepted = Accepted(claim.claim_id, portal, digest.keyed, uuid.uuid4(), now)
        if await uow.gateway.accept_claim(accepted, claim.programme):
            event = ClaimSubmittedV1(
                event_id=accepted.event_id,
                event_type="claim.submitted",
                schema_version=1,
                occurred_at=now,
                source=portal,
                claim=claim,
            )
            # Keyed by the applicant's SIREN, as the contract says: intake reads a firm's claims in order.
            uow.publish([OutboxMessage.of_event(topic_prefix + SUBMITTED_TOPIC, claim.applicant.siren, event)])
            await uow.commit()
            return accepted
    raise ClaimIdConflict(claim.claim_id)


async def accept_bank_details(
    uow: GatewayWork,
    portal: str,
    claim_id: str,
    details: ClaimBankDetailsV1,
    digest: PostDigest,
    *,
    topic_prefix: str,
) -> Accepted:
    """Publish new bank details for one of the portal's claims as `claims.bank-details.v1` (`details` carries
    the new event's id and time), or give the first answer again for the same body. Raises ClaimNotFound."""
    await _own_claim(uow, portal, claim_id)
    for _ in range(2):
        if (first := await uow.gateway.accepted_bank_details(claim_id, digest.candidates)) is not None:
            return first
        accepted = Accepted(claim_id, portal, digest.keyed, details.event_id, details.occurred_at)
        if await uow.gateway.accept_bank_details(accepted):
            uow.publish([OutboxMessage.of_event(topic_prefix + BANK_DETAILS_TOPIC, claim_id, details)])
            await uow.commit()
            return accepted
    raise ClaimIdConflict(claim_id)  # not reached: the second turn reads the concurrent post's answer


@dataclass(frozen=True)
class ClaimHistory:
    accepted: Accepted
    statuses: Sequence[StatusEntry]  # in the order they were published
    erased_at: Mapping[str, dt.datetime]  # data kind ("contact", "bank") -> when the gateway recorded its erasure


async def claim_history(uow: GatewayWork, portal: str, claim_id: str) -> ClaimHistory:
    """The portal's claim as accepted, its statuses, and when its personal data was erased (by kind): the statuses
    hold none, so an erasure changes none of them. Raises ClaimNotFound."""
    accepted = await _own_claim(uow, portal, claim_id)
    erasures = await uow.erasures.of([claim_id])
    erased_at = {kind: erasure.erased_at for (_, kind), erasure in sorted(erasures.items())}
    return ClaimHistory(accepted, await uow.gateway.history(claim_id), erased_at)


async def _own_claim(uow: GatewayWork, portal: str, claim_id: str) -> Accepted:
    accepted = await uow.gateway.accepted_claim(claim_id)
    if accepted is None or accepted.portal != portal:
        raise ClaimNotFound(claim_id)
    return accepted


def _same_post(first: Accepted, portal: str, digest: PostDigest) -> Accepted:
    if first.portal != portal or not digest.matches(first.body_sha256):
        raise ClaimIdConflict(first.claim_id)
    return first
