"""notifications' subscribers: contacts, status changes and the claims' keys in; e-mails out through the SMTP
sender; the retention clock's erasures announced (docs/privacy.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeGuard, get_args

import orjson

from guichet_common.clock import Clock
from guichet_common.contracts import ApplicantContactV1, ClaimStatusV1
from guichet_common.contracts.backoffice import EMAILS_TOPIC, CommandOutcomeV1, EmailV1, OperatorCommandV1, SetAsideV1
from guichet_common.contracts.controls import ControlEventV1, RecoveryOrderEventV1
from guichet_common.contracts.internal import APPLICANT_CONTACTS_TOPIC
from guichet_common.contracts.privacy import (
    ACCESS_RESPONSES_TOPIC,
    CLAIM_KEYS_TOPIC,
    PRIVACY_ERASED_TOPIC,
    AccessResponseV1,
    ClaimKeysV1,
    PrivacyErasedV1,
)
from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.contracts.status import ClaimStatus
from guichet_common.operator_command_targets import operator_commands_for
from guichet_common.operator_commands import OperatorCommands
from guichet_common.pipeline import Published, contract
from guichet_common.privacy.key_copies import key_copies
from guichet_common.privacy.keyring import Opener
from guichet_common.records import InboundRecord
from guichet_common.runtime import Wiring
from guichet_common.safe_text import has_unsafe_characters
from guichet_common.topics import COMMAND_OUTCOMES, CONTROLS, OPERATOR_COMMANDS, RECOVERY_ORDERS, SET_ASIDE_ITEMS
from guichet_common.unit_of_work import announcing
from guichet_notifications import erasure, operators, service, status_repository
from guichet_notifications.control_notices import control_emails, recovery_emails
from guichet_notifications.domain import KINDS, Contact, OwedEmail
from guichet_notifications.privacy_requests import NotificationsPrivacy
from guichet_notifications.retention import RetentionPeriods, StatusChange
from guichet_notifications.sender import EmailSender, SmtpSettings
from guichet_notifications.service import AbstractNotificationsUnitOfWork
from guichet_notifications.settings import NotificationsSettings
from guichet_notifications.unit_of_work import NotificationsUnitOfWork
from guichet_programme import Retention, load_programmes

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


DEFAULT_PERIODS = RetentionPeriods(
    Retention().contact_months_after_final, Retention().bank_months_after_payment_final
)  # a programme notifications does not run (a refused claim's own text): the schema's defaults


@dataclass(frozen=True)
class SeenStatus:
    """A status that mails nobody: only what the retention clock needs of it."""

    claim_id: str
    programme: str
    status: str
    occurred_at: dt.datetime


@dataclass(frozen=True)
class NotificationsHandlers:
    """Contract messages in, use-case input out."""

    email_statuses: frozenset[ClaimStatus]
    opener: Opener | None = None  # opens the sealed contacts (None: they come open, in tests)
    retention: Mapping[str, RetentionPeriods] = field(default_factory=dict)  # by programme

    def periods_of(self, programme: str) -> RetentionPeriods:
        return self.retention.get(programme, DEFAULT_PERIODS)

    def glance(self, record: InboundRecord) -> SeenStatus | None:
        """A readable status that mails nobody, read without the full contract check; None for anything else."""
        # Most statuses mail nobody (received, approved, payment_scheduled...): the full contract check of them
        # cost a quarter of this service's CPU under `make bench`. Anything doubtful still gets it.
        try:
            value = orjson.loads(record.value or b"")
        except orjson.JSONDecodeError:
            return None
        if not isinstance(value, dict):
            return None
        status, claim_id, programme, at = (value.get(k) for k in ("status", "claim_id", "programme", "occurred_at"))
        if not is_claim_status(status) or status in self.email_statuses:
            return None
        if not (isinstance(claim_id, str) and isinstance(programme, str) and isinstance(at, str)):
            return None
        try:
            occurred_at = dt.datetime.fromisoformat(at)
        except ValueError:
            return None
        return SeenStatus(claim_id, programme, status, occurred_at) if occurred_at.tzinfo else None

    def decode_status(self, record: InboundRecord) -> ClaimStatusV1 | SeenStatus:
        """Every status feeds the retention clock; those that mail someone are checked whole (the contract)."""
        if (seen := self.glance(record)) is not None:
            return seen
        status = _STATUS_CONTRACT(record)
        if status.status in self.email_statuses:
            return status
        return SeenStatus(status.claim_id, status.programme, status.status, status.occurred_at)

    async def apply_contacts(
        self, uow: AbstractNotificationsUnitOfWork, contacts: Sequence[ApplicantContactV1]
    ) -> list[Published]:
        learnt = [
            Contact(c.claim_id, c.programme, c.email, c.full_name, c.iban_last4, c.rectification_id is not None)
            for c in contacts
        ]
        await service.learn_contacts(uow, learnt, self.opener)
        return []

    async def apply_statuses(
        self, uow: AbstractNotificationsUnitOfWork, statuses: Sequence[ClaimStatusV1 | SeenStatus]
    ) -> list[Published]:
        changes = [StatusChange(s.claim_id, s.programme, s.status, s.occurred_at) for s in statuses]
        await erasure.follow_statuses(uow, changes, self.periods_of)
        await service.owe_emails(uow, owed_emails(statuses))
        return []

    async def apply_controls(
        self, uow: AbstractNotificationsUnitOfWork, events: Sequence[ControlEventV1]
    ) -> list[Published]:
        await service.owe_emails(uow, control_emails(events))
        return []

    async def apply_recovery_orders(
        self, uow: AbstractNotificationsUnitOfWork, events: Sequence[RecoveryOrderEventV1]
    ) -> list[Published]:
        await service.owe_emails(uow, recovery_emails(events))
        return []


def owed_emails(statuses: Sequence[ClaimStatusV1 | SeenStatus]) -> list[OwedEmail]:
    """The e-mails the statuses that mail someone earn (those were checked whole: `ClaimStatusV1`)."""
    return [
        OwedEmail(s.claim_id, s.status, s.programme, tuple(s.reasons), s.amount_cents)
        for s in statuses
        if isinstance(s, ClaimStatusV1)
    ]


@dataclass(frozen=True)
class CommandHandlers:
    """The back-office's commands: erasure decisions recorded first (a refusal too), then applied as the others."""

    commands: OperatorCommands
    privacy: NotificationsPrivacy
    clock: Clock

    async def apply_commands(
        self, uow: AbstractNotificationsUnitOfWork, commands: Sequence[OperatorCommandV1]
    ) -> list[Published]:
        await self.privacy.decide_erasures(uow, commands, self.clock())
        return await self.commands.apply(uow, commands)


def register_handlers(wiring: Wiring) -> None:
    settings = wiring.settings
    assert isinstance(settings, NotificationsSettings)
    programmes = load_programmes(settings.programmes_dir).values()
    names = {p.id: p.name for p in programmes}
    # Programme names go into e-mail subjects: configured text, but checked like any header value all the same.
    unsafe = sorted(programme for programme, name in names.items() if has_unsafe_characters(name))
    if unsafe:
        raise ValueError(f"programme names with control characters cannot head an e-mail: {unsafe}")
    master = settings.master_key()
    opener = Opener(master)
    retention = {
        p.id: RetentionPeriods(p.retention.contact_months_after_final, p.retention.bank_months_after_payment_final)
        for p in programmes
    }
    handlers = NotificationsHandlers(email_statuses(settings.email_status_set()), opener, retention)
    wiring.unit_of_work = announcing(NotificationsUnitOfWork, "notifications", settings.topic_prefix)
    keys = key_copies(opener, kinds=("contact",))
    wiring.subscribe(
        CLAIM_KEYS_TOPIC,
        ClaimKeysV1,
        keys.use_case,
        decode=keys.decode,
        event_id=None,  # the latest announcement of a subject wins, a destroyed key stays destroyed
        description="The claims' data keys, copied: to open the contacts and seal the recipients published",
        set_aside_kind="claim_key",
    )
    wiring.subscribe(
        APPLICANT_CONTACTS_TOPIC,
        ApplicantContactV1,
        handlers.apply_contacts,
        event_id=None,  # idempotent by claim_id (first contact wins): no inbox rows
        description="Applicants' contact details (sealed)",
    )
    wiring.subscribe(  # type: ignore[misc]  # mypy cannot solve M from a decoder that returns a union
        CLAIMS_STATUS,
        ClaimStatusV1,
        handlers.apply_statuses,
        decode=handlers.decode_status,
        event_id=None,  # idempotent by content: the clock keeps the latest status, an e-mail is owed once ever
        description="Status changes: the retention clock follows them all; some owe the applicant a mail",
    )
    subscribe_controls(wiring, handlers)
    privacy = NotificationsPrivacy(opener, settings.topic_prefix)
    accept_commands(wiring, privacy)
    wiring.publishes(EMAILS_TOPIC, EmailV1, "Each e-mail sent or given up on, for the back-office (recipient sealed)")
    wiring.publishes(PRIVACY_ERASED_TOPIC, PrivacyErasedV1, "Each erasure of a claim's contact or bank data here")
    wiring.publishes(ACCESS_RESPONSES_TOPIC, AccessResponseV1, "What notifications holds about a person, on request")
    clock = settings.clock()

    async def retention_sweep(uow: NotificationsUnitOfWork) -> int:
        return await erasure.expire_personal_data(uow, clock(), opener, settings.topic_prefix)

    wiring.repeat("privacy_retention", retention_sweep, pause_s=settings.privacy_sweep_every_s)
    wiring.figures.stage = status_repository.stage_figures
    smtp = SmtpSettings(settings.smtp_host, settings.smtp_port, settings.mail_from)
    sender = EmailSender(wiring.pool, smtp, names, topic_prefix=settings.topic_prefix, master=master)
    wiring.run_in_background(sender.run)


def subscribe_controls(wiring: Wiring, handlers: NotificationsHandlers) -> None:
    """Post-payment controls and recovery orders, from payments: the firm hears of each step (one e-mail per claim
    and kind, ever: idempotent by content, so no inbox rows). Notifications owns both topics' dead letters."""
    wiring.subscribe(
        CONTROLS.name,
        ControlEventV1,
        handlers.apply_controls,
        event_id=None,
        description="Claims selected for a post-payment control, and their outcomes: the firm is told",
    )
    wiring.subscribe(
        RECOVERY_ORDERS.name,
        RecoveryOrderEventV1,
        handlers.apply_recovery_orders,
        event_id=None,
        description="Each step of a recovery order (issued, reminded, collection, settled): the firm is told",
    )


def accept_commands(wiring: Wiring, privacy: NotificationsPrivacy) -> None:
    """As `accept_operator_commands`, with the erasure decisions recorded before the commands' savepoints."""
    settings = wiring.settings
    commands = operator_commands_for(wiring.name, settings, operators, privacy=privacy)
    handlers = CommandHandlers(commands, privacy, settings.clock())
    wiring.subscribe(
        OPERATOR_COMMANDS[wiring.name].name,
        OperatorCommandV1,
        handlers.apply_commands,
        description="The back-office's commands: dead letters, set-aside items, people's requests over their data",
    )
    wiring.publishes(COMMAND_OUTCOMES.name, CommandOutcomeV1, "What became of each back-office command")
    wiring.publishes(SET_ASIDE_ITEMS.name, SetAsideV1, "Items set aside by a job, and operators' decisions on them")
