"""Following intake's erasures (`privacy.erased.v1`): when intake announces it erased a kind of a claim's personal
data (by retention, or at the person's request), eligibility erases the same kind in its own copy of the claim,
records it, and announces its own erasure. Other services' announcements are not for eligibility to follow.

The copy is the registered claim as received: its sealed values of that kind become null in the stored payload
(unreadable already once intake destroyed the key; now gone). What the rules need stays, so the decision, what-if
replays and explanations keep working: the IBAN's fingerprint is not erased (it opens nothing, and IBAN_SHARED must
still see a shared account), the company's facts and invoices neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from guichet_common.clock import Clock, wall_clock
from guichet_common.contracts.privacy import PrivacyErasedV1
from guichet_common.outbox import OutboxMessage
from guichet_common.privacy.erasures import Erasure
from guichet_common.privacy.requests import followed_erasure
from guichet_eligibility.unit_of_work import EligibilityWork

log = structlog.get_logger()
SERVICE = "eligibility"
FOLLOWS = "intake"  # the service whose erasures eligibility follows


@dataclass(frozen=True)
class ErasureFollower:
    """The subscriber: intake's announcements in, eligibility's out, erasures dated by `clock`."""

    topic_prefix: str = ""
    clock: Clock = wall_clock

    async def follow(self, uow: EligibilityWork, events: Sequence[PrivacyErasedV1]) -> list[OutboxMessage]:
        return await follow_erasures(uow, events, topic_prefix=self.topic_prefix, now=self.clock())


async def follow_erasures(
    uow: EligibilityWork, events: Sequence[PrivacyErasedV1], *, topic_prefix: str, now: dt.datetime
) -> list[OutboxMessage]:
    """Erase, once, the kinds intake erased of claims eligibility holds; announce each erasure."""
    followed: dict[tuple[str, str], PrivacyErasedV1] = {(e.claim_id, e.kind): e for e in events if e.service == FOLLOWS}
    if not followed:
        return []
    held = await uow.personal.programmes_of(sorted({claim_id for claim_id, _ in followed}))
    new = await uow.erasures.record(
        Erasure(e.claim_id, e.kind, now, e.reason, e.request_id) for e in followed.values() if e.claim_id in held
    )
    for kind in sorted({erasure.kind for erasure in new}):
        await uow.personal.erase(kind, [erasure.claim_id for erasure in new if erasure.kind == kind])
    announcements = []
    for erasure in new:
        event = followed[(erasure.claim_id, erasure.kind)]
        log.info("personal_data_erased", claim_id=erasure.claim_id, kind=erasure.kind, reason=erasure.reason)
        announcements.append(
            followed_erasure(
                topic_prefix, SERVICE, event, erased_at=erasure.erased_at, programme=held[erasure.claim_id]
            )
        )
    return announcements
