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
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
import asyncpg
import structlog

from guichet_common.db import TRANSIENT_DB_ERRORS, PoolSlot
from guichet_common.logging import mask_text
from guichet_common.privacy.sealing import KeyWrapper
from guichet_common.safe_text import printable
from guichet_common.unit_of_work import announcing, open_unit_of_work
from guichet_notifications import envelope, service
from guichet_notifications.domain import DueEmail
from guichet_notifications.service import Outcomes
from guichet_notifications.unit_of_work import NotificationsUnitOfWork

log = structlog.get_logger()


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    mail_from: str
    message_id_domain: str = "guichet.invalid"
    timeout_s: float = 10.0


class SmtpClient(Protocol):
    """What the sender uses of `aiosmtplib.SMTP` (a unit test gives a fake one)."""

    async def connect(self) -> object: ...

    async def send_message(self, message: EmailMessage, /) -> object: ...

    async def quit(self) -> object: ...


class SmtpPostOffice:
    """Writes each e-mail of a turn and sends them in one SMTP session (`service.PostOffice`)."""

    def __init__(
        self,
        smtp: SmtpSettings,
        programme_names: Mapping[str, str],
        *,
        client: Callable[[], SmtpClient] | None = None,
    ) -> None:
        self._smtp = smtp
        self._programme_names = programme_names
        self._client = client or functools.partial(
            aiosmtplib.SMTP, hostname=smtp.host, port=smtp.port, timeout=smtp.timeout_s
        )
        self.sent = 0

    async def deliver(self, due: Sequence[DueEmail], outcomes: Outcomes) -> None:
        ready: list[tuple[DueEmail, EmailMessage, str]] = []
        for email in due:
            try:
                message, message_id = self._build(email)
                ready.append((email, message, message_id))
                outcomes.subjects[email.id] = str(message["Subject"])
            # Building is pure code on this e-mail's values alone: whatever it raises is this e-mail's fault.
            except Exception as error:
                outcomes.set_aside.append((email, f"cannot be written: {type(error).__name__}: {error}"))
        if ready:
            await self._session(ready, outcomes)

    def _build(self, email: DueEmail) -> tuple[EmailMessage, str]:
        return envelope.build(
            email,
            self._programme_names,
            mail_from=self._smtp.mail_from,
            message_id_domain=self._smtp.message_id_domain,
        )

    async def _session(self, ready: list[tuple[DueEmail, EmailMessage, str]], outcomes: Outcomes) -> None:
        try:
            client = self._client()
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            outcomes.to_retry += [(email, f"SMTP unreachable: {error}") for email, _, _ in ready]
            return
        remaining = list(ready)
        try:
            while remaining:
                email, message, message_id = remaining[0]
                await self._send_one(client, email, message, message_id, outcomes)
                remaining.pop(0)
        finally:
            # Ended by something unexpected: the e-mail in flight stays 'sending' (it may have gone); the ones
            # after it were never tried and go back to the queue.
            outcomes.to_retry += [(email, "not tried: the SMTP session ended early") for email, _, _ in remaining[1:]]
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                pass

    async def _send_one(
        self, client: SmtpClient, email: DueEmail, message: EmailMessage, message_id: str, outcomes: Outcomes
    ) -> None:
        try:
            await client.send_message(message)
        except (aiosmtplib.SMTPException, OSError, ValueError) as error:
            if _refused_for_good(error):
                outcomes.set_aside.append((email, f"refused by the SMTP server: {error}"))
            else:
                outcomes.to_retry.append((email, f"{type(error).__name__}: {error}"))
            return
        outcomes.sent.append((email, message_id))
        self.sent += 1
        log.info("email_sent", claim_id=printable(email.claim_id, 80), kind=email.kind)


class EmailSender:
    """The background job: turns of `service.send_due_emails` on PostgreSQL and a real SMTP server."""

    def __init__(
        self,
        pool: asyncpg.Pool | PoolSlot,
        smtp: SmtpSettings,
        programme_names: Mapping[str, str],
        *,
        batch_size: int = 200,
        client: Callable[[], SmtpClient] | None = None,
        topic_prefix: str = "",
        master: KeyWrapper | None = None,
    ) -> None:
        # `announcing`: an e-mail set aside is announced on operations.set-aside.v1, as the handlers' items are.
        units = announcing(NotificationsUnitOfWork, "notifications", topic_prefix)
        self._units = functools.partial(open_unit_of_work, pool, units)
        self._post = SmtpPostOffice(smtp, programme_names, client=client)
        self._batch_size = batch_size
        self._topic_prefix = topic_prefix
        self._master = master  # unwraps the contact keys that seal the recipients it publishes

    @property
    def sent(self) -> int:
        return self._post.sent

    async def run(self, idle_poll_s: float = 0.3) -> None:
        # Not `wiring.repeat`: it runs a turn in ONE unit of work committed at its end, while a turn here commits
        # twice around the SMTP session (see `service.send_due_emails`) and must not hold a pooled connection for
        # the length of that session. So this minimal loop stays, with its own log events.
        async with self._units() as uow:
            await service.report_uncertain(uow)
        while True:
            try:
                handled = await self.send_due()
            except TRANSIENT_DB_ERRORS as error:
                log.warning("email_sender_retrying", error=mask_text(str(error)))
                handled = 0
            if handled < self._batch_size:
                await asyncio.sleep(idle_poll_s)

    async def send_due(self) -> int:
        """One turn: returns how many e-mails it took (sent, set aside or postponed)."""
        return await service.send_due_emails(
            self._units, self._post, self._batch_size, self._topic_prefix, master=self._master
        )


def _refused_for_good(error: Exception) -> bool:
    """A 5xx for the recipient or the message, an address the server cannot take, or one no client can write.
    Anything else (server down, connection lost, 4xx) passes and is tried again later."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(refused.code >= 500 for refused in error.recipients)
    if isinstance(error, aiosmtplib.SMTPDataError):
        return error.code >= 500
    return isinstance(error, (aiosmtplib.SMTPNotSupported, ValueError))
