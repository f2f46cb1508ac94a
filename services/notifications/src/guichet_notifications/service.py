"""Notifications use cases: learn contacts, owe one e-mail per (claim, status kind), and send what is owed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import get_args

import asyncpg
import orjson
import structlog

from guichet_common.contracts import ApplicantContactV1, ClaimStatusV1
from guichet_common.inbox import first_sightings
from guichet_common.outbox import write_outbox
from guichet_common.records import InboundRecord, decode_all
from guichet_common.safe_text import printable
from guichet_notifications import repository

log = structlog.get_logger()
_KNOWN_STATUSES = frozenset(get_args(ClaimStatusV1.model_fields["status"].annotation))


@dataclass(frozen=True)
class NotificationsService:
    programme_names: Mapping[str, str]
    email_statuses: frozenset[str]

    async def apply_contacts(self, conn: asyncpg.Connection, records: Sequence[InboundRecord]) -> None:
        contacts, outbox = decode_all(ApplicantContactV1, records)
        # Idempotent by claim_id (first contact wins), so no inbox row is needed.
        await repository.save_contacts(conn, [contact.model_dump(mode="json") for contact in contacts])
        await write_outbox(conn, outbox)

    def may_mail(self, record: InboundRecord) -> bool:
        """False only for a readable event with a valid status that mails nobody; anything else goes on to the
        contract check, which dead-letters what does not fit."""
        try:
            status = orjson.loads(record.value or b"").get("status")
        except (orjson.JSONDecodeError, AttributeError):
            return True
        return status not in _KNOWN_STATUSES or status in self.email_statuses

    async def apply_statuses(self, conn: asyncpg.Connection, records: Sequence[InboundRecord]) -> None:
        # Most statuses mail nobody (received, approved, payment_scheduled...): a glance at the field skips them
        # before the full contract check, which cost a quarter of this service's CPU under `make bench`.
        statuses, outbox = decode_all(ClaimStatusV1, [r for r in records if self.may_mail(r)])
        wanted = [s for s in statuses if s.status in self.email_statuses]
        fresh = await first_sightings(conn, records[0].topic, [s.event_id for s in wanted]) if wanted else set()
        owed = await repository.owe_emails(
            conn,
            [
                repository.OwedEmail(s.claim_id, s.status, s.programme, list(s.reasons), s.amount_cents)
                for s in wanted
                if s.event_id in fresh
            ],
        )
        for claim_id, kind in sorted(owed):
            log.info("email_owed", claim_id=printable(claim_id, 80), kind=kind)
        await write_outbox(conn, outbox)
