"""Sends owed e-mails through SMTP (aiosmtplib), at most once each.

Each e-mail is committed as 'sending' before the SMTP exchange and as 'sent' after it (the e-mails of one SMTP
session in one transaction at its end). A refused or failed
connection puts it back to 'pending' with a back-off; a crash in mid-exchange leaves it 'sending', which is
reported instead of retried, because re-sending could mail the applicant twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage

import aiosmtplib
import asyncpg
import structlog

from guichet_common.db import TRANSIENT_DB_ERRORS, transaction
from guichet_common.logging import mask_text
from guichet_notifications import domain, repository

log = structlog.get_logger()


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    mail_from: str
    message_id_domain: str = "guichet.invalid"
    timeout_s: float = 10.0


@dataclass
class _Outcomes:
    """What one SMTP session did, recorded in one transaction at its end."""

    sent: list[tuple[asyncpg.Record, str]] = field(default_factory=list)  # with the Message-ID
    refused: list[tuple[asyncpg.Record, str]] = field(default_factory=list)
    to_retry: list[tuple[asyncpg.Record, str]] = field(default_factory=list)


class EmailSender:
    def __init__(
        self, pool: asyncpg.Pool, smtp: SmtpSettings, programme_names: Mapping[str, str], *, batch_size: int = 200
    ) -> None:
        self._pool = pool
        self._smtp = smtp
        self._programme_names = programme_names
        self._batch_size = batch_size
        self.sent = 0

    async def run(self, idle_poll_s: float = 0.3) -> None:
        async with self._pool.acquire() as conn:
            uncertain = await repository.count_uncertain(conn)
        if uncertain:
            log.warning("emails_left_uncertain_by_a_crash", count=uncertain)
        while True:
            try:
                handled = await self.send_due()
            except TRANSIENT_DB_ERRORS as error:
                log.warning("email_sender_retrying", error=mask_text(str(error)))
                handled = 0
            if handled < self._batch_size:
                await asyncio.sleep(idle_poll_s)

    async def send_due(self) -> int:
        async with transaction(self._pool) as conn:
            due = await repository.take_ready_emails(conn, self._batch_size)
        if not due:
            return 0
        try:
            client = aiosmtplib.SMTP(hostname=self._smtp.host, port=self._smtp.port, timeout=self._smtp.timeout_s)
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            await self._retry_all(due, f"SMTP unreachable: {error}")
            return len(due)
        outcomes = _Outcomes()
        try:
            for row in due:
                await self._send_one(client, row, outcomes)
        finally:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                pass
            # One transaction for the session's outcomes: until it commits they stay 'sending', which is never
            # sent again, so a crash here can leave them uncertain but cannot mail anyone twice.
            await self._record(outcomes)
        return len(due)

    async def _send_one(self, client: aiosmtplib.SMTP, row: asyncpg.Record, outcomes: _Outcomes) -> None:
        letter = domain.compose(
            domain.Occasion(
                kind=row["kind"],
                claim_id=row["claim_id"],
                programme_name=self._programme_names.get(row["programme"], row["programme"]),
                full_name=row["full_name"],
                reasons=tuple(row["reasons"]),
                amount_cents=row["amount_cents"],
                iban_last4=row["iban_last4"],
            )
        )
        message_id = domain.message_id(row["claim_id"], row["kind"], self._smtp.message_id_domain)
        message = EmailMessage()
        message["From"] = self._smtp.mail_from
        message["To"] = row["email"]
        message["Subject"] = letter.subject
        message["Message-ID"] = message_id
        message.set_content(letter.body)
        try:
            await client.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as error:
            outcomes.refused.append((row, mask_text(str(error))))
            log.warning("email_refused_by_server", claim_id=row["claim_id"], kind=row["kind"])
            return
        except (aiosmtplib.SMTPException, OSError) as error:
            outcomes.to_retry.append((row, mask_text(str(error))))
            return
        outcomes.sent.append((row, message_id))
        self.sent += 1
        log.info("email_sent", claim_id=row["claim_id"], kind=row["kind"])

    async def _record(self, outcomes: _Outcomes) -> None:
        async with transaction(self._pool) as conn:
            await repository.mark_sent(conn, [(row["claim_id"], row["kind"], mid) for row, mid in outcomes.sent])
            for row, error in outcomes.refused:
                await repository.mark_failed(conn, row["claim_id"], row["kind"], error)
        if outcomes.to_retry:  # the connection failed mid-session: the rest waits for the next one
            await self._retry_all([row for row, _ in outcomes.to_retry], outcomes.to_retry[0][1])

    async def _retry_all(self, rows: list[asyncpg.Record], error: str) -> None:
        async with transaction(self._pool) as conn:
            for row in rows:
                delay = min(300.0, 2.0 ** min(row["attempts"], 8))
                await repository.mark_for_retry(conn, row["claim_id"], row["kind"], error[:500], delay)
        log.warning("emails_postponed", count=len(rows), error=error[:200])
