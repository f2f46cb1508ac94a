"""Keeping a copy of the owners' data keys from `privacy.claim-keys.v1` (notifications, payments, the back-office).

Idempotent by content (no inbox rows): the latest announcement of a subject wins, and a destroyed key never comes
back (`KeyRing.put`). A tombstone destroys every kind of its subject.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import structlog

from guichet_common.contracts.privacy import ClaimKeysV1
from guichet_common.pipeline import Published, Subscription, Undecodable, contract
from guichet_common.privacy.keyring import Opener
from guichet_common.privacy.sealing import DATA_KINDS
from guichet_common.records import InboundRecord
from guichet_common.unit_of_work import UnitOfWork

log = structlog.get_logger()


@dataclass(frozen=True)
class KeyAnnouncement:
    subject: str
    keys: Mapping[str, bytes | None]  # kind -> wrapped key, None: destroyed
    at: dt.datetime


def decode_key_record(record: InboundRecord) -> KeyAnnouncement:
    if record.value is None:  # a tombstone: the subject's keys are all destroyed
        if not record.key:
            raise Undecodable("a tombstone without a key")
        subject = record.key.decode("utf-8", errors="replace")
        destroyed: dict[str, bytes | None] = dict.fromkeys(DATA_KINDS)
        return KeyAnnouncement(subject, destroyed, dt.datetime.now(dt.UTC))
    event = contract(ClaimKeysV1)(record)
    try:
        keys: dict[str, bytes | None] = {
            kind: None if v is None else base64.b64decode(v, validate=True) for kind, v in event.keys.items()
        }
    except ValueError:
        raise Undecodable("schema: keys: not base64") from None
    return KeyAnnouncement(event.subject, keys, event.occurred_at)


def key_copies(
    opener: Opener | None = None, kinds: Sequence[str] = DATA_KINDS
) -> Subscription[UnitOfWork, KeyAnnouncement]:
    """The subscription a service adds to keep copies of the keys (CONSUMED_BY lists privacy.claim-keys.v1): of
    `kinds` only, those it opens (payments the bank keys, notifications the contact keys): a copy it would never
    use is one more row to write for every claim, and one more place a key lives."""

    async def keep(uow: UnitOfWork, announcements: Sequence[KeyAnnouncement]) -> Sequence[Published]:
        kept = one_row_per_key(announcements, kinds)
        if kept:  # a key's own time is no use to a copy: the batch's latest will do
            await uow.keys.put(list(kept), max(a.at for a in announcements))
        destroyed = [(subject, kind) for subject, kind, wrapped in kept if wrapped is None]
        if opener is not None:
            opener.forget(destroyed)
        if destroyed:
            log.info("privacy_key_copies_destroyed", keys=len(destroyed))
        return []

    return Subscription(use_case=keep, decode=decode_key_record, event_id=None)


def one_row_per_key(
    announcements: Sequence[KeyAnnouncement], kinds: Sequence[str]
) -> list[tuple[str, str, bytes | None]]:
    """The batch's keys of `kinds`, one row each so that one statement stores them all; a destruction wins over an
    announcement of the same key in the batch."""
    merged: dict[tuple[str, str], bytes | None] = {}
    for announcement in announcements:
        for kind, wrapped in announcement.keys.items():
            key_id = (announcement.subject, kind)
            if kind in kinds and merged.get(key_id, b"") is not None:
                merged[key_id] = wrapped
    return [(subject, kind, wrapped) for (subject, kind), wrapped in merged.items()]
