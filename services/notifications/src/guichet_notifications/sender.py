"""Sends owed e-mails through SMTP (aiosmtplib), at most once each.

Each e-mail is committed as 'sending' before the SMTP exchange and as 'sent' after it (the e-mails of one SMTP
session in one transaction at its end). A refused or failed connection, or a 4xx reply, puts it back to 'pending'
with a back-off; a crash in mid-exchange leaves it 'sending', which is reported instead of retried, because
re-sending could mail the applicant twice.

One e-mail that cannot be written safely, or that the server refuses for good (5xx), is set aside ('failed', and
in set_aside_items as kind 'email') in that same transaction, and the others of the session are sent: one bad row
must not stop everybody behind it.
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
from guichet_common.safe_text import printable
from guichet_common.set_aside import set_aside, stored_reason
from guichet_notifications import envelope, repository, set_aside_repository

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
    set_aside: list[tuple[asyncpg.Record, str]] = field(default_factory=list)  # with the reason
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
        outcomes = _Outcomes()
        ready: list[tuple[asyncpg.Record, EmailMessage, str]] = []
        for row in due:
            try:
                ready.append((row, *self._build(row)))
            # Building is pure code on this row's values alone: whatever it raises is this e-mail's fault.
            except Exception as error:
                outcomes.set_aside.append((row, f"cannot be written: {type(error).__name__}: {error}"))
        try:
            if ready:
                await self._session(ready, outcomes)
        finally:
            # One transaction for the session's outcomes: until it commits they stay 'sending', which is never
            # sent again, so a crash here can leave them uncertain but cannot mail anyone twice.
            await self._record(outcomes)
        return len(due)

    def _build(self, row: asyncpg.Record) -> tuple[EmailMessage, str]:
        return envelope.build(
            row,
            self._programme_names,
            mail_from=self._smtp.mail_from,
            message_id_domain=self._smtp.message_id_domain,
        )

    async def _session(self, ready: list[tuple[asyncpg.Record, EmailMessage, str]], outcomes: _Outcomes) -> None:
        try:
            client = aiosmtplib.SMTP(hostname=self._smtp.host, port=self._smtp.port, timeout=self._smtp.timeout_s)
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            outcomes.to_retry += [(row, f"SMTP unreachable: {error}") for row, _, _ in ready]
            return
        remaining = list(ready)
        try:
            while remaining:
                row, message, message_id = remaining[0]
                await self._send_one(client, row, message, message_id, outcomes)
                remaining.pop(0)
        finally:
            # Ended by something unexpected: the e-mail in flight stays 'sending' (it may have gone); the ones
            # after it were never tried and go back to the queue.
            outcomes.to_retry += [(row, "not tried: the SMTP session ended early") for row, _, _ in remaining[1:]]
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                pass

    async def _send_one(
        self, client: aiosmtplib.SMTP, row: asyncpg.Record, message: EmailMessage, message_id: str, outcomes: _Outcomes
    ) -> None:
        try:
            await client.send_message(message)
        except (aiosmtplib.SMTPException, OSError, ValueError) as error:
            if _refused_for_good(error):
                outcomes.set_aside.append((row, f"refused by the SMTP server: {error}"))
            else:
                outcomes.to_retry.append((row, f"{type(error).__name__}: {error}"))
            return
        outcomes.sent.append((row, message_id))
        self.sent += 1
        log.info("email_sent", claim_id=printable(row["claim_id"], 80), kind=row["kind"])

    async def _record(self, outcomes: _Outcomes) -> None:
        newly_set_aside: list[tuple[asyncpg.Record, str]] = []
        async with transaction(self._pool) as conn:
            await repository.mark_sent(conn, [(row["claim_id"], row["kind"], mid) for row, mid in outcomes.sent])
            for row, reason in outcomes.set_aside:
                await repository.mark_failed(conn, row["id"], stored_reason(reason))
                if await set_aside(conn, set_aside_repository.KIND, str(row["id"]), reason):
                    newly_set_aside.append((row, reason))
        for row, reason in newly_set_aside:  # once per failure, after the commit that makes it true
            log.warning(
                "email_set_aside",
                email_id=str(row["id"]),
                claim_id=printable(row["claim_id"], 80),
                kind=row["kind"],
                reason=stored_reason(reason),
            )
        if outcomes.to_retry:  # server down, connection lost or a 4xx: they wait for a later session
            await self._retry(outcomes.to_retry)

    async def _retry(self, rows: list[tuple[asyncpg.Record, str]]) -> None:
        async with transaction(self._pool) as conn:
            for row, error in rows:
                delay = min(300.0, 2.0 ** min(row["attempts"], 8))
                await repository.mark_for_retry(conn, row["claim_id"], row["kind"], stored_reason(error), delay)
        log.warning("emails_postponed", count=len(rows), error=stored_reason(rows[0][1])[:200])


def _refused_for_good(error: Exception) -> bool:
    """A 5xx for the recipient or the message, an address the server cannot take, or one no client can write.
    Anything else (server down, connection lost, 4xx) passes and is tried again later."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(refused.code >= 500 for refused in error.recipients)
    if isinstance(error, aiosmtplib.SMTPDataError):
        return error.code >= 500
    return isinstance(error, (aiosmtplib.SMTPNotSupported, ValueError))
