"""notifications' subscribers: contacts and status changes in; e-mails out through the SMTP sender."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeGuard, get_args

import orjson

from guichet_common.contracts import ApplicantContactV1, ClaimStatusV1
from guichet_common.contracts.backoffice import EMAILS_TOPIC, EmailV1
from guichet_common.contracts.internal import APPLICANT_CONTACTS_TOPIC
from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.contracts.status import ClaimStatus
from guichet_common.operator_command_targets import accept_operator_commands
from guichet_common.pipeline import Published, contract
from guichet_common.records import InboundRecord
from guichet_common.runtime import Wiring
from guichet_common.safe_text import has_unsafe_characters
from guichet_common.unit_of_work import announcing
from guichet_notifications import operators, service, status_repository
from guichet_notifications.domain import KINDS, Contact, OwedEmail
from guichet_notifications.sender import EmailSender, SmtpSettings
from guichet_notifications.service import AbstractNotificationsUnitOfWork
from guichet_notifications.settings import NotificationsSettings
from guichet_notifications.unit_of_work import NotificationsUnitOfWork
from guichet_programme import load_programmes

_KNOWN_STATUSES: frozenset[ClaimStatus] = frozenset(get_args(ClaimStatus))
_STATUS_CONTRACT = contract(ClaimStatusV1)


def is_claim_status(value: object) -> TypeGuard[ClaimStatus]:
    return isinstance(value, str) and value in _KNOWN_STATUSES


def email_statuses(names: Iterable[str]) -> frozenset[ClaimStatus]:
    """The configured statuses that earn an e-mail, each checked to be a claim status with an e-mail text."""
    names = frozenset(names)
    unknown = {name for name in names if name not in KINDS or not is_claim_status(name)}
    if unknown:
        raise ValueError(f"NOTIFICATIONS_EMAIL_STATUSES names statuses with no e-mail text: {sorted(unknown)}")
    return frozenset(name for name in names if is_claim_status(name))


@dataclass(frozen=True)
class NotificationsHandlers:
    """Contract messages in, use-case input out."""

    email_statuses: frozenset[ClaimStatus]

    def may_mail(self, record: InboundRecord) -> bool:
        """False only for a readable event with a valid status that mails nobody; anything else goes on to the
        contract check, which dead-letters what does not fit."""
        try:
            status = orjson.loads(record.value or b"").get("status")
        except (orjson.JSONDecodeError, AttributeError):
            return True
        return not is_claim_status(status) or status in self.email_statuses

    def decode_status(self, record: InboundRecord) -> ClaimStatusV1 | None:
        """None (nothing to do, no inbox row) for a status that mails nobody, else the contract's check."""
        # Most statuses mail nobody (received, approved, payment_scheduled...): a glance at the field skips them
        # before the full contract check, which cost a quarter of this service's CPU under `make bench`.
        if not self.may_mail(record):
            return None
        status = _STATUS_CONTRACT(record)
        return status if status.status in self.email_statuses else None

    async def apply_contacts(
        self, uow: AbstractNotificationsUnitOfWork, contacts: Sequence[ApplicantContactV1]
    ) -> list[Published]:
        await service.learn_contacts(
            uow, [Contact(c.claim_id, c.programme, c.email, c.full_name, c.iban_last4) for c in contacts]
        )
        return []

    async def apply_statuses(
        self, uow: AbstractNotificationsUnitOfWork, statuses: Sequence[ClaimStatusV1]
    ) -> list[Published]:
        owed = [OwedEmail(s.claim_id, s.status, s.programme, tuple(s.reasons), s.amount_cents) for s in statuses]
        await service.owe_emails(uow, owed)
        return []


def register_handlers(wiring: Wiring) -> None:
    settings = wiring.settings
    assert isinstance(settings, NotificationsSettings)
    handlers = NotificationsHandlers(email_statuses(settings.email_status_set()))
    names = {p.id: p.name for p in load_programmes(settings.programmes_dir).values()}
    # Programme names go into e-mail subjects: configured text, but checked like any header value all the same.
    unsafe = sorted(programme for programme, name in names.items() if has_unsafe_characters(name))
    if unsafe:
        raise ValueError(f"programme names with control characters cannot head an e-mail: {unsafe}")
    wiring.unit_of_work = announcing(NotificationsUnitOfWork, "notifications", settings.topic_prefix)
    wiring.subscribe(
        APPLICANT_CONTACTS_TOPIC,
        ApplicantContactV1,
        handlers.apply_contacts,
        event_id=None,  # idempotent by claim_id (first contact wins): no inbox rows
        description="Applicants' contact details",
    )
    wiring.subscribe(
        CLAIMS_STATUS,
        ClaimStatusV1,
        handlers.apply_statuses,
        decode=handlers.decode_status,
        description="Status changes that owe the applicant a mail",
    )
    accept_operator_commands(wiring, operators)
    wiring.publishes(EMAILS_TOPIC, EmailV1, "Each e-mail sent or given up on, for the back-office")
    wiring.figures.stage = status_repository.stage_figures
    smtp = SmtpSettings(settings.smtp_host, settings.smtp_port, settings.mail_from)
    sender = EmailSender(wiring.pool, smtp, names, topic_prefix=settings.topic_prefix)
    wiring.run_in_background(sender.run)
