"""Notifications use cases: learn contacts, owe one e-mail per (claim, status kind), and send what is owed.

They work on an `AbstractNotificationsUnitOfWork` (the PostgreSQL one of `unit_of_work.py`, or the in-memory one of
the unit tests) and never see a connection, SQL or the SMTP client.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

import structlog

from guichet_common.contracts.backoffice import EMAILS_TOPIC, EmailV1
from guichet_common.outbox import OutboxMessage
from guichet_common.safe_text import printable
from guichet_common.set_aside import stored_reason
from guichet_common.unit_of_work import UnitOfWork
from guichet_notifications.domain import Contact, DueEmail, OwedEmail

log = structlog.get_logger()
SET_ASIDE_KIND = "email"  # the kind `guichet set-aside` knows notifications' held items by


class Contacts(Protocol):
    async def save(self, contacts: Sequence[Contact]) -> None: ...


class Emails(Protocol):
    async def owe(self, emails: Sequence[OwedEmail]) -> set[tuple[str, str]]: ...

    async def take_ready(self, limit: int) -> list[DueEmail]: ...

    async def mark_sent(self, sent: Sequence[tuple[str, str, str]]) -> None: ...

    async def mark_for_retry(self, claim_id: str, kind: str, error: str, delay_s: float) -> None: ...

    async def mark_failed(self, email_id: int, reason: str) -> None: ...

    async def count_uncertain(self) -> int: ...


class AbstractNotificationsUnitOfWork(UnitOfWork):
    """What notifications' use cases work on: one transaction, with the service's repositories."""

    contacts: Contacts
    emails: Emails


# A fresh unit of work (begun; rolled back on leaving unless committed) each time it is called: the sender needs
# several per turn (see `send_due_emails`).
UnitsOfWork = Callable[[], contextlib.AbstractAsyncContextManager[AbstractNotificationsUnitOfWork]]


async def learn_contacts(uow: AbstractNotificationsUnitOfWork, contacts: Sequence[Contact]) -> None:
    """Keep where to write about each claim. The first contact of a claim wins: a conflicting resubmission cannot
    redirect its mail, and a redelivered contact changes nothing (so no inbox row is needed)."""
    await uow.contacts.save(contacts)


async def owe_emails(uow: AbstractNotificationsUnitOfWork, emails: Sequence[OwedEmail]) -> None:
    """Record the e-mails these status changes earn: one per claim and kind, ever, whatever the number of events
    announcing it. The sender sends it once the claim's contact is known."""
    owed = await uow.emails.owe(emails)
    for claim_id, kind in sorted(owed):
        log.info("email_owed", claim_id=printable(claim_id, 80), kind=kind)


async def report_uncertain(uow: AbstractNotificationsUnitOfWork) -> int:
    """Say how many e-mails a crash left 'sending': they may have gone, so they are never sent again by themselves."""
    uncertain = await uow.emails.count_uncertain()
    if uncertain:
        log.warning("emails_left_uncertain_by_a_crash", count=uncertain)
    return uncertain


@dataclass
class Outcomes:
    """What one SMTP session did with the e-mails of a turn, each noted as soon as it is known."""

    sent: list[tuple[DueEmail, str]] = field(default_factory=list)  # with the Message-ID
    set_aside: list[tuple[DueEmail, str]] = field(default_factory=list)  # with the reason
    to_retry: list[tuple[DueEmail, str]] = field(default_factory=list)  # with the error
    subjects: dict[int, str] = field(default_factory=dict)  # by e-mail number, each one written, for the back-office


class PostOffice(Protocol):
    async def deliver(self, due: Sequence[DueEmail], outcomes: Outcomes) -> None:
        """Write and send each e-mail, noting its outcome in `outcomes`. An e-mail still in flight when this ends
        unexpectedly is noted nowhere: it stays 'sending', since the server may have taken it."""
        ...


async def send_due_emails(units: UnitsOfWork, post: PostOffice, limit: int, topic_prefix: str = "") -> int:
    """One turn of the sender: take up to `limit` due e-mails, send them, record how it went (and publish each
    outcome for the back-office, with the record); returns how many it took.

    Never one unit of work around the SMTP session: the e-mails are committed as 'sending' BEFORE the server sees
    any of them, and their outcomes committed after it. A crash in between leaves them 'sending' (in doubt, and
    reported), which is never sent again: no applicant is mailed twice."""
    async with units() as uow:
        due = await uow.emails.take_ready(limit)
        await uow.commit()
    if not due:
        return 0
    outcomes = Outcomes()
    try:
        await post.deliver(due, outcomes)
    finally:
        await _record(units, outcomes, topic_prefix)
    return len(due)


async def _record(units: UnitsOfWork, outcomes: Outcomes, topic_prefix: str) -> None:
    # One transaction for the session's outcomes: until it commits they stay 'sending', which is never sent
    # again, so a crash here can leave them uncertain but cannot mail anyone twice.
    async with units() as uow:
        newly_set_aside = await record_outcomes(uow, outcomes)
        uow.publish(email_events(outcomes, topic_prefix, datetime.now(UTC)))
        await uow.commit()
    for email, reason in newly_set_aside:  # once per failure, after the commit that makes it true
        log.warning(
            "email_set_aside",
            email_id=str(email.id),
            claim_id=printable(email.claim_id, 80),
            kind=email.kind,
            reason=stored_reason(reason),
        )
    if outcomes.to_retry:  # server down, connection lost or a 4xx: they wait for a later session
        async with units() as uow:
            await postpone(uow, outcomes.to_retry)
            await uow.commit()
        log.warning(
            "emails_postponed", count=len(outcomes.to_retry), error=stored_reason(outcomes.to_retry[0][1])[:200]
        )


async def record_outcomes(uow: AbstractNotificationsUnitOfWork, outcomes: Outcomes) -> list[tuple[DueEmail, str]]:
    """Mark the sent e-mails sent and set aside those that can never be sent (unwritable, or refused for good),
    so that the sender carries on with the others; returns those newly set aside."""
    await uow.emails.mark_sent([(email.claim_id, email.kind, message_id) for email, message_id in outcomes.sent])
    newly_set_aside = []
    for email, reason in outcomes.set_aside:
        await uow.emails.mark_failed(email.id, stored_reason(reason))
        if await uow.set_aside(SET_ASIDE_KIND, str(email.id), reason):
            newly_set_aside.append((email, reason))
    return newly_set_aside


def email_events(outcomes: Outcomes, topic_prefix: str, now: datetime) -> list[OutboxMessage]:
    """An EmailV1 per e-mail sent or given up on (set aside), keyed by claim; those to retry have no outcome yet."""
    done: list[tuple[DueEmail, Literal["sent", "failed"]]] = [(email, "sent") for email, _ in outcomes.sent]
    done += [(email, "failed") for email, _ in outcomes.set_aside]
    return [
        OutboxMessage.of_event(
            topic_prefix + EMAILS_TOPIC,
            email.claim_id,
            EmailV1(
                event_id=uuid.uuid4(),
                occurred_at=now,
                claim_id=email.claim_id,
                programme=email.programme,
                status=email.kind,
                subject=outcomes.subjects.get(email.id, "")[:300],
                recipient=email.email[:320],  # the contract's bound; an address that long was never sendable
                outcome=outcome,
            ),
        )
        for email, outcome in done
    ]


async def postpone(uow: AbstractNotificationsUnitOfWork, to_retry: Sequence[tuple[DueEmail, str]]) -> None:
    """Back to the queue, each after a back-off that grows with its attempts (up to 5 minutes)."""
    for email, error in to_retry:
        delay = min(300.0, 2.0 ** min(email.attempts, 8))
        await uow.emails.mark_for_retry(email.claim_id, email.kind, stored_reason(error), delay)
