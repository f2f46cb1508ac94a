"""The back-office's use cases on the privacy topics: following intake's erasures, and keeping the services' answers
to subject-access requests.

Intake announces an erasure once it destroyed the claim's key of that kind; the back-office then empties its own
copies of that kind (claims' contact or IBAN, e-mail recipients, payment attempts' beneficiary), destroys its copy of
the key, records the erasure (its pages show "effacé le ..."), and announces it too. Only intake's announcements
start this: the others' (its own included) are followers' news, not orders.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Protocol

import structlog

from guichet_backoffice.privacy_model import EXPORTS_KEPT_DAYS, AccessPart, ExportRequest, Held
from guichet_common.contracts.privacy import AccessResponseV1, PrivacyErasedV1
from guichet_common.privacy.erasures import Erasure
from guichet_common.privacy.keyring import Opener
from guichet_common.privacy.requests import followed_erasure
from guichet_common.unit_of_work import UnitOfWork

SERVICE = "backoffice"
FOLLOWED_SERVICE = "intake"
log = structlog.get_logger()


class PersonalCopies(Protocol):
    async def erase(self, kind: str, claim_ids: Sequence[str]) -> None: ...

    async def rectify_contact(self, claim_id: str, field: str, value: str) -> bool: ...

    async def claim_ids(self, selector: str, value: str) -> list[str]: ...

    async def record_responses(self, parts: Sequence[AccessPart]) -> None: ...

    async def add_export(self, request: ExportRequest) -> None: ...

    async def export(self, request_id: uuid.UUID) -> tuple[ExportRequest, list[AccessPart]] | None: ...

    async def held(self, claim_ids: Sequence[str]) -> list[Held]: ...

    async def forget_exports_before(self, before: dt.datetime) -> int: ...


class PrivacyUnitOfWork(UnitOfWork):
    privacy: PersonalCopies
    opener: Opener


async def follow_erasures(
    uow: PrivacyUnitOfWork, announcements: Sequence[PrivacyErasedV1], *, topic_prefix: str, now: dt.datetime
) -> None:
    """Erase, once, what intake announced erased; announce it as the back-office's. Idempotent: an erasure already
    recorded here changes and publishes nothing."""
    followed = [a for a in announcements if a.service == FOLLOWED_SERVICE]
    by_key: dict[tuple[str, str], PrivacyErasedV1] = {(a.claim_id, a.kind): a for a in followed}
    new = await uow.erasures.record(
        Erasure(a.claim_id, a.kind, a.erased_at, a.reason, a.request_id) for a in by_key.values()
    )
    for kind in sorted({e.kind for e in new}):
        await uow.privacy.erase(kind, [e.claim_id for e in new if e.kind == kind])
    destroyed = await uow.keys.destroy([(e.claim_id, e.kind) for e in new], now)
    uow.opener.forget(destroyed)
    for erasure in new:
        source = by_key[(erasure.claim_id, erasure.kind)]
        uow.publish([followed_erasure(topic_prefix, SERVICE, source, erased_at=erasure.erased_at)])
    if new:
        log.info("privacy_copies_erased", erasures=len(new), kinds=sorted({e.kind for e in new}))


async def keep_access_responses(uow: PrivacyUnitOfWork, responses: Sequence[AccessResponseV1]) -> None:
    """Each service's answer to a subject-access request, kept for the console to gather (one per service)."""
    await uow.privacy.record_responses(
        [
            AccessPart(
                r.request_id,
                r.service,
                tuple(r.claim_ids),
                [record.model_dump(mode="json") for record in r.records],
                r.occurred_at,
            )
            for r in responses
        ]
    )


async def forget_old_exports(uow: PrivacyUnitOfWork, now: dt.datetime) -> int:
    """Exports hold personal data in clear: the requests and their answers go EXPORTS_KEPT_DAYS after they were
    asked. Returns how many went (the repeating job runs again at once while there were some)."""
    gone = await uow.privacy.forget_exports_before(now - dt.timedelta(days=EXPORTS_KEPT_DAYS))
    await uow.commit()
    return gone
