"""Following notifications' erasures (`privacy.erased.v1`): notifications runs the retention clock and decides a
person's erasure requests; intake, the owner of the claims' keys, then shreds them.

For each erasure announced by notifications, once: the claim's key of that kind is destroyed (every sealed copy of
those fields, on every topic and in every backup, is unreadable from then on), that kind is blanked in the claim
intake keeps, the claim's keys are announced again with that kind null, and intake announces its own erasure, which
the other services follow. Other services' announcements (intake's own among them) are not intake's to follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog

from guichet_common.clock import Clock, wall_clock
from guichet_common.contracts.privacy import PrivacyErasedV1
from guichet_common.outbox import OutboxMessage
from guichet_common.privacy.erasures import Erasure
from guichet_common.privacy.keyring import Opener
from guichet_common.privacy.requests import followed_erasure
from guichet_common.privacy.sealing import DATA_KINDS
from guichet_intake.keys import keys_message
from guichet_intake.privacy_model import PrivacyUnitOfWork

log = structlog.get_logger()
FOLLOWED_SERVICE = "notifications"


@dataclass(frozen=True)
class ErasureFollower:
    topic_prefix: str = ""
    clock: Clock = wall_clock  # the programme's clock (settings.clock()): the date an erasure shows
    # The process's opener (exports, rectifications): a destroyed key must leave its cache at once.
    opener: Opener | None = field(default=None, compare=False)

    async def follow(self, uow: PrivacyUnitOfWork, announced: Sequence[PrivacyErasedV1]) -> list[OutboxMessage]:
        """Apply notifications' new erasures: destroy the keys, blank intake's copy, announce the keys and the
        erasure. An erasure already applied (a redelivery, a second announcement) publishes nothing."""
        now = self.clock()
        followed: dict[tuple[str, str], PrivacyErasedV1] = {
            (a.claim_id, a.kind): a for a in announced if a.service == FOLLOWED_SERVICE
        }
        new = await uow.erasures.record(
            Erasure(a.claim_id, a.kind, now, a.reason, a.request_id) for a in followed.values()
        )
        if not new:
            return []
        destroyed = [(e.claim_id, e.kind) for e in new]
        await uow.keys.destroy(destroyed, now)
        if self.opener is not None:
            self.opener.forget(destroyed)
        for kind in DATA_KINDS:
            if claim_ids := [e.claim_id for e in new if e.kind == kind]:
                await uow.copies.erase(kind, claim_ids)
        subjects = list(dict.fromkeys(e.claim_id for e in new))
        held = await uow.keys.get((s, kind) for s in subjects for kind in DATA_KINDS)
        messages = [keys_message(s, held, self.topic_prefix, now) for s in subjects]
        for erasure in new:
            source = followed[(erasure.claim_id, erasure.kind)]
            messages.append(followed_erasure(self.topic_prefix, "intake", source, erased_at=now))
            log.info("claim_data_erased", claim_id=erasure.claim_id, kind=erasure.kind, reason=source.reason)
        return messages
