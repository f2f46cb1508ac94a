"""The gateway's part of a person's rights: follow intake's erasures, and answer a subject-access request.

Erasing: intake announces on `privacy.erased.v1` that it destroyed a claim's key of one kind; for a claim a portal
posted here, the gateway records that erasure (`uow.erasures`) and announces its own. It has no value to null: the
bodies were never stored, only their digests, for idempotency; a digest still plain (written before digests were
keyed by the master key, guichet_gateway.digests) is keyed then. The records stay, so that:
- a replayed identical post gets its first answer (202, the same event_id) and publishes nothing: publishing it
  again would put erased data back on the topics;
- another body under that claim_id is still a conflict (409);
- new bank details for the claim are new data from the person, published as any post (payments decides);
- GET /v1/claims/{id} gives the history as before, with the dates each kind was erased.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from guichet_common.contracts.backoffice import OperatorCommandV1
from guichet_common.contracts.privacy import HeldRecordV1, PrivacyErasedV1, erased_on
from guichet_common.operator_commands import CommandRefused
from guichet_common.outbox import OutboxMessage
from guichet_common.privacy.erasures import Erasure, Erasures
from guichet_common.privacy.requests import followed_erasure
from guichet_gateway.digests import DigestKey

SERVICE = "gateway"
FOLLOWED = "intake"  # the service whose announcements mean the claim's keys are destroyed


class ClaimsHeld(Protocol):
    async def programmes_of(self, claim_ids: Iterable[str]) -> dict[str, str]:
        """claim_id -> programme, for those of `claim_ids` a portal posted through the gateway."""
        ...

    async def key_digests(self, claim_ids: Iterable[str], key: DigestKey) -> int:
        """Key the plain digests of these claims' posts (guichet_gateway.digests)."""
        ...


class HeldRecords(Protocol):
    async def held_records(self, claim_ids: Sequence[str]) -> list[HeldRecordV1]:
        """Every row the gateway holds about these claims, as an export shows it."""
        ...


class ErasuresWork(Protocol):
    @property
    def gateway(self) -> ClaimsHeld: ...
    @property
    def erasures(self) -> Erasures: ...


async def follow_erasures(
    uow: ErasuresWork,
    announcements: Sequence[PrivacyErasedV1],
    *,
    topic_prefix: str,
    now: dt.datetime,
    digest_key: DigestKey,
) -> list[OutboxMessage]:
    """Record intake's erasures of the gateway's claims, once each, key the digests their posts kept from before
    digests were keyed, and announce them as the gateway's (passing a person's request on). Other services'
    announcements, and claims posted elsewhere, are none of its business."""
    followed = [a for a in announcements if a.service == FOLLOWED]
    programmes = await uow.gateway.programmes_of({a.claim_id for a in followed})
    asked = {(a.claim_id, a.kind): a for a in followed if a.claim_id in programmes}
    new = await uow.erasures.record(Erasure(a.claim_id, a.kind, now, a.reason, a.request_id) for a in asked.values())
    await uow.gateway.key_digests({erasure.claim_id for erasure in new}, digest_key)
    return [
        followed_erasure(
            topic_prefix,
            SERVICE,
            asked[(erasure.claim_id, erasure.kind)],
            erased_at=erasure.erased_at,
            programme=programmes[erasure.claim_id],
        )
        for erasure in new
    ]


class GatewayPrivacyRequests:
    """`PrivacyRequests` for the gateway's command topic: it exports; erasures are notifications' to decide and
    rectifications intake's to apply."""

    async def export(self, uow: Any, command: OperatorCommandV1) -> Sequence[HeldRecordV1]:
        """The gateway's rows about the command's claims (those posted elsewhere give none)."""
        records: list[HeldRecordV1] = await uow.privacy.held_records(list(command.claim_ids))
        erasures = await uow.erasures.of(command.claim_ids)
        return records + [
            HeldRecordV1(
                store="table privacy_erasures",
                claim_id=claim_id,
                fields={"kind": kind, "erased": erased_on(erasure.erased_at), "reason": erasure.reason},
            )
            for (claim_id, kind), erasure in sorted(erasures.items())
        ]

    async def erase(self, uow: Any, command: OperatorCommandV1, now: dt.datetime) -> str:
        raise CommandRefused("la passerelle ne décide pas des effacements : la demande est à adresser à notifications")

    async def rectify(self, uow: Any, command: OperatorCommandV1, now: dt.datetime) -> str:
        raise CommandRefused("la passerelle ne garde aucune coordonnée : la rectification est à adresser à intake")
