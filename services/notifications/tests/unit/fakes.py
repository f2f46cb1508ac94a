"""Notifications in memory: the unit of work with its repositories, a post office and an SMTP client that say what
happened, and a wiring that keeps the subscriptions `register_handlers` declares. No database, no server."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import itertools
import operator
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import aiosmtplib

from guichet_common.contracts import ApplicantContactV1, ClaimStatusV1
from guichet_common.contracts.internal import APPLICANT_CONTACTS_TOPIC
from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.contracts.status import ClaimStatus
from guichet_common.pipeline import Subscription, contract
from guichet_common.privacy.keyring import Sealer
from guichet_common.privacy.sealing import DATA_KINDS, DEVELOPMENT_MASTER_KEY, MasterKey, seal
from guichet_common.records import InboundRecord
from guichet_common.unit_of_work import FakeUnitOfWork
from guichet_notifications.domain import Contact, DueEmail, OwedEmail
from guichet_notifications.handlers import register_handlers
from guichet_notifications.retention import ClaimTrack, Deadlines, ErasureDecision
from guichet_notifications.service import AbstractNotificationsUnitOfWork, Outcomes
from guichet_notifications.settings import NotificationsSettings
from guichet_notifications.unit_of_work import NotificationsUnitOfWork


class InMemoryContacts:
    def __init__(self) -> None:
        self.by_claim: dict[str, Contact] = {}

    async def save(self, contacts: Sequence[Contact]) -> None:
        for contact in contacts:
            kept = self.by_claim.setdefault(contact.claim_id, contact)
            if contact.rectified and kept.email is not None:
                self.by_claim[contact.claim_id] = dataclasses.replace(
                    kept, email=contact.email, full_name=contact.full_name
                )

    async def erase(self, contact: Iterable[str], bank: Iterable[str]) -> None:
        for claim_id in contact:
            if claim_id in self.by_claim:
                self.by_claim[claim_id] = dataclasses.replace(self.by_claim[claim_id], email=None, full_name=None)  # type: ignore[arg-type]
        for claim_id in bank:
            if claim_id in self.by_claim:
                self.by_claim[claim_id] = dataclasses.replace(self.by_claim[claim_id], iban_last4=None)

    async def held(self, claim_ids: Iterable[str]) -> list[dict[str, Any]]:
        return [
            dataclasses.asdict(c) | {"received_at": None}
            for i, c in sorted(self.by_claim.items())
            if i in set(claim_ids)
        ]


@dataclass
class StoredEmail:
    id: int
    owed: OwedEmail
    next_attempt_at: float
    state: str = "pending"
    attempts: int = 0
    last_error: str | None = None
    message_id: str | None = None


class InMemoryEmails:
    """The `emails` table; `now` is the clock `next_attempt_at` is read against (tests move it on)."""

    def __init__(self, contacts: InMemoryContacts) -> None:
        self._contacts = contacts
        self._ids = itertools.count(1)
        self.rows: dict[tuple[str, str], StoredEmail] = {}
        self.now = 0.0

    async def owe(self, emails: Sequence[OwedEmail]) -> set[tuple[str, str]]:
        new = set()
        for email in emails:
            key = (email.claim_id, email.kind)
            if key not in self.rows:
                self.rows[key] = StoredEmail(next(self._ids), email, next_attempt_at=self.now)
                new.add(key)
        return new

    async def take_ready(self, limit: int) -> list[DueEmail]:
        ready = sorted(
            (
                row
                for row in self.rows.values()
                if row.state == "pending"
                and row.next_attempt_at <= self.now
                and row.owed.claim_id in self._contacts.by_claim
                and self._contacts.by_claim[row.owed.claim_id].email is not None
            ),
            key=operator.attrgetter("next_attempt_at"),
        )[:limit]
        due = []
        for row in ready:
            row.state, row.attempts = "sending", row.attempts + 1
            contact = self._contacts.by_claim[row.owed.claim_id]
            due.append(
                DueEmail(
                    id=row.id,
                    claim_id=row.owed.claim_id,
                    kind=row.owed.kind,
                    programme=row.owed.programme,
                    reasons=row.owed.reasons,
                    amount_cents=row.owed.amount_cents,
                    attempts=row.attempts,
                    email=contact.email,
                    full_name=contact.full_name,
                    iban_last4=contact.iban_last4,
                    details=row.owed.details,
                )
            )
        return due

    async def mark_sent(self, sent: Sequence[tuple[str, str, str]]) -> None:
        for claim_id, kind, message_id in sent:
            row = self.rows[(claim_id, kind)]
            row.state, row.message_id, row.last_error = "sent", message_id, None

    async def mark_for_retry(self, claim_id: str, kind: str, error: str, delay_s: float) -> None:
        row = self.rows[(claim_id, kind)]
        row.state, row.last_error, row.next_attempt_at = "pending", error, self.now + delay_s

    async def mark_failed(self, email_id: int, reason: str) -> None:
        row = next(row for row in self.rows.values() if row.id == email_id)
        row.state, row.last_error = "failed", reason

    async def count_uncertain(self) -> int:
        return sum(row.state == "sending" for row in self.rows.values())

    async def unaddress(self, claim_ids: Iterable[str]) -> int:
        wanted, count = set(claim_ids), 0
        for (claim_id, _), row in self.rows.items():
            if claim_id in wanted:
                row.last_error = None
                if row.state in ("pending", "failed"):
                    row.state, count = "unaddressed", count + 1
        return count

    async def held(self, claim_ids: Iterable[str]) -> list[dict[str, Any]]:
        wanted = set(claim_ids)
        return [
            {"id": row.id, "claim_id": claim_id, "kind": kind, "state": row.state, "last_error": row.last_error}
            for (claim_id, kind), row in sorted(self.rows.items())
            if claim_id in wanted
        ]

    def states(self) -> dict[str, str]:
        """State by claim_id (the tests owe one e-mail per claim)."""
        return {claim_id: row.state for (claim_id, _), row in self.rows.items()}


class InMemoryClaimStatuses:
    def __init__(self) -> None:
        self.tracks: dict[str, ClaimTrack] = {}
        self.deadlines: dict[str, Deadlines] = {}

    async def get(self, claim_ids: Iterable[str]) -> dict[str, ClaimTrack]:
        return {c: self.tracks[c] for c in set(claim_ids) if c in self.tracks}

    async def save(self, tracks: Sequence[tuple[ClaimTrack, Deadlines]]) -> None:
        for track, deadlines in tracks:
            self.tracks[track.claim_id], self.deadlines[track.claim_id] = track, deadlines

    async def due(self, now: dt.datetime, limit: int) -> list[tuple[str, str, str]]:
        found = [
            (c, self.tracks[c].programme, kind)
            for c, d in sorted(self.deadlines.items())
            for kind, at in (("bank", d.bank), ("contact", d.contact))
            if at is not None and at <= now and self.tracks[c].settled
        ]
        return sorted(found)[:limit]

    async def clear_deadlines(self, erased: Iterable[tuple[str, str]]) -> None:
        for claim_id, kind in erased:
            self.deadlines[claim_id] = dataclasses.replace(self.deadlines[claim_id], **{kind: None})

    async def held(self, claim_ids: Iterable[str]) -> list[dict[str, Any]]:
        return [dataclasses.asdict(t) for c, t in sorted(self.tracks.items()) if c in set(claim_ids)]


class InMemoryPrivacyRequests:
    def __init__(self) -> None:
        self.rows: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}

    async def record(
        self,
        request_id: uuid.UUID,
        action: str,
        requested_by: str,
        legal_reason: str,
        at: dt.datetime,
        decisions: Sequence[ErasureDecision],
    ) -> None:
        for d in decisions:
            self.rows.setdefault(
                (request_id, d.claim_id),
                {
                    "request_id": request_id,
                    "claim_id": d.claim_id,
                    "action": action,
                    "decision": "accepted" if d.accepted else "refused",
                    "code": d.code,
                    "detail": d.detail,
                    "requested_by": requested_by,
                    "legal_reason": legal_reason,
                    "decided_at": at,
                    "_decision": d,
                },
            )

    async def decisions(self, request_id: uuid.UUID) -> list[ErasureDecision]:
        return [row["_decision"] for (r, _), row in sorted(self.rows.items()) if r == request_id]

    async def held(self, claim_ids: Iterable[str]) -> list[dict[str, Any]]:
        wanted = set(claim_ids)
        return [{k: v for k, v in row.items() if k != "_decision"} for (_, c), row in self.rows.items() if c in wanted]


class FakeNotificationsUnitOfWork(FakeUnitOfWork, AbstractNotificationsUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.contacts: InMemoryContacts = InMemoryContacts()
        self.emails: InMemoryEmails = InMemoryEmails(self.contacts)
        self.statuses: InMemoryClaimStatuses = InMemoryClaimStatuses()
        self.privacy_requests: InMemoryPrivacyRequests = InMemoryPrivacyRequests()
        self.connection = None  # what the operator commands' targets are built on; never touched in these tests
        self.opened = 0

    @contextlib.asynccontextmanager
    async def units(self) -> AsyncIterator[FakeNotificationsUnitOfWork]:
        """As `service.UnitsOfWork`: every unit of work the sender opens is this one (counted)."""
        self.opened += 1
        yield self


@dataclass
class FakePostOffice:
    """Notes each e-mail's outcome from its recipient; remembers what the database said when the session began."""

    uow: FakeNotificationsUnitOfWork
    set_aside: dict[str, str] = field(default_factory=dict)  # address -> reason
    to_retry: dict[str, str] = field(default_factory=dict)  # address -> error
    crash_at: str | None = None  # the address in flight when the session dies
    delivered: list[str] = field(default_factory=list)  # claim_ids, in order
    seen_at_start: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (commits, states) per session

    async def deliver(self, due: Sequence[DueEmail], outcomes: Outcomes) -> None:
        self.seen_at_start.append((self.uow.commits, self.uow.emails.states()))
        for email in due:
            if email.email == self.crash_at:
                raise ConnectionResetError("the session died")
            if email.email in self.set_aside:
                outcomes.set_aside.append((email, self.set_aside[email.email]))
            elif email.email in self.to_retry:
                outcomes.to_retry.append((email, self.to_retry[email.email]))
            else:
                self.delivered.append(email.claim_id)
                outcomes.sent.append((email, f"<{email.claim_id}.{email.kind}@test>"))


class FakeSmtpClient:
    """An SMTP server's answers, as aiosmtplib raises them: `replies` by recipient address (code, text)."""

    def __init__(self, replies: dict[str, tuple[int, str]] | None = None, *, reachable: bool = True) -> None:
        self.replies = replies or {}
        self.reachable = reachable
        self.accepted: list[EmailMessage] = []
        self.quit_called = False

    async def connect(self) -> object:
        if not self.reachable:
            raise ConnectionRefusedError("connection refused")
        return None

    async def send_message(self, message: EmailMessage, /) -> object:
        address = str(message["To"])
        if address in self.replies:
            code, text = self.replies[address]
            raise aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(code, text, address)])
        self.accepted.append(message)
        return None

    async def quit(self) -> object:
        self.quit_called = True
        return None


class RecordingWiring:
    """Enough of `guichet_common.runtime.Wiring` for `register_handlers`: keeps each topic's subscription as the
    real wiring would build it, so tests apply records through the service's own decoding and inbox choices."""

    def __init__(self, settings: Any) -> None:
        self.name = "notifications"
        self.settings = settings
        self.pool = None
        self.unit_of_work: Any = None
        self.subscriptions: dict[str, Subscription[Any, Any]] = {}
        self.background: list[Callable[..., Any]] = []
        self.figures = type("Figures", (), {"stage": None})()

    def subscribe(
        self,
        topic: str,
        payload: Any,
        use_case: Any,
        *,
        decode: Any = None,
        event_id: Any = operator.attrgetter("event_id"),
        description: str | None = None,
        set_aside_kind: str | None = None,
    ) -> None:
        self.subscriptions[topic] = Subscription(
            use_case=use_case, decode=decode or contract(payload), event_id=event_id, set_aside_kind=set_aside_kind
        )

    def run_in_background(self, job: Callable[..., Any]) -> None:
        self.background.append(job)

    def repeat(self, name: str, job: Callable[..., Any], *, pause_s: float) -> None:
        self.background.append(job)

    def publishes(self, topic: str, payload: Any, description: str) -> None:
        pass  # only the AsyncAPI document needs it


def subscriptions(email_statuses: str = "rejected,refused") -> dict[str, Subscription[Any, Any]]:
    """The subscriptions `register_handlers` declares, by topic, for these e-mail statuses."""
    wiring = RecordingWiring(NotificationsSettings(email_statuses=email_statuses))
    register_handlers(wiring)  # type: ignore[arg-type]  # a stand-in for the real wiring
    made = wiring.unit_of_work(None)  # no connection is touched by the constructor
    assert isinstance(made, NotificationsUnitOfWork) and made.announcer is not None
    return wiring.subscriptions


NOW = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)
# The key register_handlers' settings take when no master key is configured (the tests set none).
MASTER = MasterKey(DEVELOPMENT_MASTER_KEY)


async def claim_keys(uow: FakeUnitOfWork, *claim_ids: str) -> dict[str, bytes]:
    """As intake announces them, copied into `uow`'s key ring: each claim's contact and bank keys; returns each
    claim's contact data key (to seal or open its values in a test)."""
    made = {claim_id: Sealer(MASTER).new_keys(claim_id, DATA_KINDS) for claim_id in claim_ids}
    await uow.keys.put([(c, kind, wrapped) for c, keys in made.items() for kind, (_, wrapped) in keys.items()], NOW)
    return {claim_id: keys["contact"][0] for claim_id, keys in made.items()}


def sealed_contact_record(
    claim_id: str,
    data_key: bytes,
    email: str = "claire@example.fr",
    *,
    offset: int = 0,
    rectification_id: uuid.UUID | None = None,
) -> InboundRecord:
    """A contact as intake publishes it since issue 18: e-mail and name sealed with the claim's contact key."""
    event = ApplicantContactV1(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        correlation_id=uuid.uuid4(),
        claim_id=claim_id,
        programme="p",
        email=seal(data_key, "contact", claim_id, email),
        full_name=seal(data_key, "contact", claim_id, "Claire Martin"),
        iban_last4="2957",
        rectification_id=rectification_id,
    )
    return InboundRecord(APPLICANT_CONTACTS_TOPIC, 0, offset, claim_id.encode(), event.model_dump_json().encode())


def contact_record(claim_id: str, email: str = "claire@example.fr", *, offset: int = 0) -> InboundRecord:
    event = ApplicantContactV1(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        correlation_id=uuid.uuid4(),
        claim_id=claim_id,
        programme="p",
        email=email,
        full_name="Claire Martin",
        iban_last4="2957",
    )
    return InboundRecord(APPLICANT_CONTACTS_TOPIC, 0, offset, claim_id.encode(), event.model_dump_json().encode())


def status_record(
    claim_id: str, status: ClaimStatus, *, event_id: uuid.UUID | None = None, offset: int = 0, **fields: Any
) -> InboundRecord:
    event = ClaimStatusV1(
        event_id=event_id or uuid.uuid4(),
        occurred_at=NOW,
        claim_id=claim_id,
        programme="p",
        status=status,
        reasons=["COMPANY_CEASED"] if status == "rejected" else [],
        **fields,
    )
    return InboundRecord(CLAIMS_STATUS, 0, offset, claim_id.encode(), event.model_dump_json().encode())


def raw_record(topic: str, value: bytes, *, offset: int = 0) -> InboundRecord:
    return InboundRecord(topic, 0, offset, b"k", value)


def dead_letter_reasons(uow: FakeUnitOfWork) -> list[str]:
    return [
        (dict(message.headers)["dlq.reason"] or b"").decode()
        for message in uow.committed
        if message.topic.endswith(".dlq")
    ]
