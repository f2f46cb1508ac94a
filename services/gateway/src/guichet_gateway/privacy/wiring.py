"""The gateway's privacy wiring: intake's erasures followed, and what the gateway announces in return."""

from __future__ import annotations

from collections.abc import Sequence

from guichet_common.clock import Clock
from guichet_common.contracts.privacy import (
    ACCESS_RESPONSES_TOPIC,
    PRIVACY_ERASED_TOPIC,
    AccessResponseV1,
    PrivacyErasedV1,
)
from guichet_common.pipeline import Published, UseCase
from guichet_common.runtime import Wiring
from guichet_gateway.digests import DigestKey, digest_key
from guichet_gateway.privacy import service
from guichet_gateway.unit_of_work import GatewayUnitOfWork

# An announcement the gateway cannot read: set aside in its own database (intake owns the topic's dead letters).
ERASURE_SET_ASIDE_KIND = "privacy_erasure"


def erasure_follower(topic_prefix: str, clock: Clock, key: DigestKey) -> UseCase[GatewayUnitOfWork, PrivacyErasedV1]:
    """The subscriber's use case: intake's erasures of the gateway's claims, recorded at `clock`'s time."""

    async def on_erasures(uow: GatewayUnitOfWork, announcements: Sequence[PrivacyErasedV1]) -> Sequence[Published]:
        now = clock()
        return await service.follow_erasures(uow, announcements, topic_prefix=topic_prefix, now=now, digest_key=key)

    return on_erasures


def wire(wiring: Wiring) -> None:
    wiring.subscribe(
        PRIVACY_ERASED_TOPIC,
        PrivacyErasedV1,
        erasure_follower(
            wiring.settings.topic_prefix, wiring.settings.clock(), digest_key(wiring.settings.master_key())
        ),
        description="Erasures: intake's, of claims posted through the gateway, are recorded and announced again",
        set_aside_kind=ERASURE_SET_ASIDE_KIND,
    )
    wiring.publishes(PRIVACY_ERASED_TOPIC, PrivacyErasedV1, "The gateway recorded a claim's contact or bank erasure")
    wiring.publishes(
        ACCESS_RESPONSES_TOPIC, AccessResponseV1, "What the gateway holds about a subject-access request's claims"
    )
