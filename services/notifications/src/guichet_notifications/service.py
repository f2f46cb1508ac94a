"""Notifications use cases: learn contacts, owe one e-mail per (claim, status kind), and send what is owed.

They work on an `AbstractNotificationsUnitOfWork` (the PostgreSQL one of `unit_of_work.py`, or the in-memory one of
the unit tests) and never see a connection, SQL or the SMTP client.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import structlog

from guichet_common.contracts.backoffice import EMAILS_TOPIC, EmailV1
from guichet_common.outbox import OutboxMessage
from guichet_common.privacy.keyring import Erased, KeyRing, Opener
from guichet_common.privacy.sealing import KeyWrapper, seal
from guichet_common.safe_text import printable
from guichet_common.set_aside import stored_reason
from guichet_common.unit_of_work import UnitOfWork
from guichet_notifications.domain import Contact, DueEmail, OwedEmail
from guichet_notifications.retention_ports import ClaimStatuses, PrivacyRequestDecisions

log = structlog.get_logger()
SET_ASIDE_KIND = "email"  # the kind `guichet set-aside` knows notifications' held items by


class Contacts(Protocol):
    async def save(self, contacts: Sequence[Contact]) -> None: ...

    async def erase(self, contact: Iterable[str], bank: Iterable[str]) -> None: ...

    async def held(self, claim_ids: Iterable[str]) -> list[dict[str, Any]]: ...


class Emails(Protocol):
    async def owe(self, emails: Sequence[OwedEmail]) -> set[tuple[str, str]]: ...

    async def take_ready(self, limit: int) -> list[DueEmail]: ...

    async def mark_sent(self, sent: Sequence[tuple[str, str, str]]) -> None: ...

    async def mark_for_retry(self, claim_id: str, kind: str, error: str, delay_s: float) -> None: ...

    async def mark_failed(self, email_id: int, reason: str) -> None: ...

    async def count_uncertain(self) -> int: ...

    async def unaddress(self, claim_ids: Iterable[str]) -> int: ...

    async def held(self, claim_ids: Iterable[str]) -> list[dict[str, Any]]: ...


class AbstractNotificationsUnitOfWork(UnitOfWork):
    """What notifications' use cases work on: one transaction, with the service's repositories."""

    contacts: Contacts
    emails: Emails
    statuses: ClaimStatuses
    privacy_requests: PrivacyRequestDecisions


# A fresh unit of work (begun; rolled back on leaving unless committed) each time it is called: the sender needs
# several per turn (see `send_due_emails`).
UnitsOfWork = Callable[[], contextlib.AbstractAsyncContextManager[AbstractNotificationsUnitOfWork]]


async def learn_contacts(
    uow: AbstractNotificationsUnitOfWork, contacts: Sequence[Contact], opener: Opener | None = None
) -> None:
    """Keep where to write about each claim. The first contact of a claim wins: a conflicting resubmission cannot
    redirect its mail, and a redelivered contact changes nothing (so no inbox row is needed). Only a person's
    rectification (intake's, marked as one) replaces it, unless it was erased.

    Sealed fields are opened with the claim's contact key (`opener`; None: the contacts come open): while the key
    has not arrived, `KeyNotYetKnown` makes the batch wait for it. What was erased (here, or its key destroyed) is
    not kept again: a replayed contact cannot bring an erased address back."""
    if opener is not None:
        opened = await opener.open_many(uow.keys, [v for c in contacts for v in (c.email, c.full_name)])
        contacts = [_opened(c, opened) for c in contacts if not _erased(c, opened)]
    erased = await uow.erasures.of({c.claim_id for c in contacts})
    await uow.contacts.save(
        [
            dataclasses.replace(c, iban_last4=None) if (c.claim_id, "bank") in erased else c
            for c in contacts
            if (c.claim_id, "contact") not in erased
        ]
    )


def _erased(contact: Contact, opened: Mapping[str, str | Erased]) -> bool:
    return any(isinstance(opened.get(value), Erased) for value in (contact.email, contact.full_name))


def _opened(contact: Contact, opened: Mapping[str, str | Erased]) -> Contact:
    email, full_name = (opened.get(value, value) for value in (contact.email, contact.full_name))
    assert isinstance(email, str) and isinstance(full_name, str)  # the erased ones were left out
    return dataclasses.replace(contact, email=email, full_name=full_name)


async def owe_emails(uow: AbstractNotificationsUnitOfWork, emails: Sequence[OwedEmail]) -> None:
    """Record the e-mails these status changes earn: one per claim and kind, ever, whatever the number of events
    announcing it. The sender sends it once the claim's contact is known. One owed to a claim whose contact was
    erased is recorded 'unaddressed' (counted with the failed e-mails, never sent)."""
    owed = await uow.emails.owe(emails)
    for claim_id, kind in sorted(owed):
        log.info("email_owed", claim_id=printable(claim_id, 80), kind=kind)
    erased = await uow.erasures.of({claim_id for claim_id, _ in owed}) if owed else {}
    if erased_contacts := {claim_id for claim_id, kind in erased if kind == "contact"}:
        log.info("emails_unaddressed", count=await uow.emails.unaddress(erased_contacts), reason="contact_erased")


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


async def send_due_emails(
    units: UnitsOfWork, post: PostOffice, limit: int, topic_prefix: str = "", master: KeyWrapper | None = None
) -> int:
    """One turn of the sender: take up to `limit` due e-mails, send them, record how it went (and publish each
    outcome for the back-office, with the record); returns how many it took.

    Never one unit of work around the SMTP session: the e-mails are committed as 'sending' BEFORE the server sees
    any of them, and their outcomes committed after it. A crash in between leaves them 'sending' (in doubt, and
    reported), which is never sent again: no applicant is mailed twice. `master` unwraps the claims' contact keys
    that seal each published recipient."""
    async with units() as uow:
        due = await uow.emails.take_ready(limit)
        await uow.commit()
    if not due:
        return 0
    outcomes = Outcomes()
    try:
        await post.deliver(due, outcomes)
    finally:
        await _record(units, outcomes, topic_prefix, master)
    return len(due)


async def _record(units: UnitsOfWork, outcomes: Outcomes, topic_prefix: str, master: KeyWrapper | None) -> None:
    # One transaction for the session's outcomes: until it commits they stay 'sending', which is never sent
    # again, so a crash here can leave them uncertain but cannot mail anyone twice.
    async with units() as uow:
        newly_set_aside = await record_outcomes(uow, outcomes)
        done = [email for email, _ in outcomes.sent + outcomes.set_aside]
        recipients = await sealed_recipients(uow.keys, master, done)
        uow.publish(email_events(outcomes, topic_prefix, datetime.now(UTC), recipients))
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


async def sealed_recipients(keys: KeyRing, master: KeyWrapper | None, emails: Sequence[DueEmail]) -> dict[int, str]:
    """Each e-mail's address sealed with its claim's contact key (this service's copy), by e-mail number; "" when
    no live key is held (its data erased meanwhile, or a contact from before sealing): never the address in clear."""
    states = await keys.get({(email.claim_id, "contact") for email in emails}) if master is not None else {}
    data_keys = {key_id: master.unwrap(s.wrapped) for key_id, s in states.items() if master and s.wrapped}
    return {
        email.id: seal(data_keys[key_id], "contact", email.claim_id, email.email[:320]) if key_id in data_keys else ""
        for email in emails
        if (key_id := (email.claim_id, "contact"))
    }


def email_events(
    outcomes: Outcomes, topic_prefix: str, now: datetime, recipients: Mapping[int, str]
) -> list[OutboxMessage]:
    """An EmailV1 per e-mail sent or given up on (set aside), keyed by claim, its recipient as `recipients` has it
    (sealed); those to retry have no outcome yet."""
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
                recipient=recipients.get(email.id, ""),  # sealed (the address cut at 320: never sendable longer)
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
