"""The retention clock's use cases: follow each claim's statuses, and erase its personal data here when its time
comes (or when a person's request is granted), announcing each erasure on `privacy.erased.v1` so that intake
destroys the claim's key and every other service erases its own copy (docs/privacy.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import structlog

from guichet_common.contracts.backoffice import OperatorCommandV1
from guichet_common.privacy.erasures import Erasure
from guichet_common.privacy.keyring import Opener
from guichet_common.privacy.requests import erasure_announcement
from guichet_notifications.retention import ClaimTrack, RetentionPeriods, StatusChange, deadlines, follow
from guichet_notifications.service import AbstractNotificationsUnitOfWork

log = structlog.get_logger()
SERVICE = "notifications"
SWEEP_LIMIT = 500  # erasures per turn: the job goes again at once while it finds some

PeriodsOf = Callable[[str], RetentionPeriods]  # a programme's retention periods


async def follow_statuses(
    uow: AbstractNotificationsUnitOfWork, changes: Sequence[StatusChange], periods_of: PeriodsOf
) -> None:
    """Keep each claim's latest status, when it became final and paid, and the deadlines they set. Idempotent by
    content (a redelivered status changes nothing), so the statuses keep no inbox rows."""
    if not changes:
        return
    tracks: dict[str, ClaimTrack] = await uow.statuses.get({c.claim_id for c in changes})
    changed = set()
    for change in changes:
        track = follow(tracks.get(change.claim_id), change)
        if track != tracks.get(change.claim_id):
            tracks[change.claim_id] = track
            changed.add(change.claim_id)
    await uow.statuses.save([(tracks[c], deadlines(tracks[c], periods_of(tracks[c].programme))) for c in changed])


async def expire_personal_data(
    uow: AbstractNotificationsUnitOfWork, now: dt.datetime, opener: Opener | None, topic_prefix: str
) -> int:
    """One turn of the retention clock: erase what is past its deadline (of settled claims), record and announce
    it; returns how many (claim, kind) it handled."""
    due = await uow.statuses.due(now, SWEEP_LIMIT)
    if due:
        await erase_claims(uow, due, now, opener, topic_prefix, reason="retention")
    return len(due)


async def erase_claims(
    uow: AbstractNotificationsUnitOfWork,
    items: Sequence[tuple[str, str | None, str]],
    now: dt.datetime,
    opener: Opener | None,
    topic_prefix: str,
    *,
    reason: str,
    request: OperatorCommandV1 | None = None,
) -> list[Erasure]:
    """Erase each (claim_id, programme, kind) once: the contact's name and address (and the e-mails not sent yet
    become 'unaddressed'), or the IBAN's last digits; destroy this service's copy of that key; announce it.
    Erasing again what was erased publishes nothing."""
    request_id = request.event_id if request is not None else None
    new = await uow.erasures.record([Erasure(c, kind, now, reason, request_id) for c, _, kind in items])
    contact = [e.claim_id for e in new if e.kind == "contact"]
    await uow.contacts.erase(contact, [e.claim_id for e in new if e.kind == "bank"])
    unaddressed = await uow.emails.unaddress(contact) if contact else 0
    await uow.statuses.clear_deadlines([(c, kind) for c, _, kind in items])
    destroyed = await uow.keys.destroy([(e.claim_id, e.kind) for e in new], now)
    if opener is not None:
        opener.forget(destroyed)
    programme_of = {c: programme for c, programme, _ in items}
    uow.publish(
        erasure_announcement(
            topic_prefix,
            SERVICE,
            claim_id=e.claim_id,
            programme=programme_of[e.claim_id],
            kind=e.kind,
            erased_at=now,
            reason=reason,
            request=request,
        )
        for e in new
    )
    if new:
        log.info("personal_data_erased", erasures=len(new), reason=reason, emails_unaddressed=unaddressed)
    return new
