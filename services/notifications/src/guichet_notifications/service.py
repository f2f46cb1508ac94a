"""Notifications use cases: learn contacts, owe one e-mail per (claim, status kind), and send what is owed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import asyncpg
import structlog

from guichet_common.contracts import ApplicantContactV1, ClaimStatusV1
from guichet_common.inbox import first_sightings
from guichet_common.outbox import write_outbox
from guichet_common.records import InboundRecord, decode_all
from guichet_notifications import repository

log = structlog.get_logger()


@dataclass(frozen=True)
class NotificationsService:
    programme_names: Mapping[str, str]
    email_statuses: frozenset[str]

    async def apply_contacts(self, conn: asyncpg.Connection, records: Sequence[InboundRecord]) -> None:
        contacts, outbox = decode_all(ApplicantContactV1, records)
        # Idempotent by claim_id (first contact wins), so no inbox row is needed.
        await repository.save_contacts(conn, [contact.model_dump(mode="json") for contact in contacts])
        await write_outbox(conn, outbox)

    async def apply_statuses(self, conn: asyncpg.Connection, records: Sequence[InboundRecord]) -> None:
        statuses, outbox = decode_all(ClaimStatusV1, records)
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
            log.info("email_owed", claim_id=claim_id, kind=kind)
        await write_outbox(conn, outbox)
