"""backoffice's subscribers: the services' events in, the read model's rows out.

Topics the back-office owns (the facts published for it) dead-letter what does not fit, as every owner does. Topics
another service owns (claims.status.v1, intake.claims-registered.v1, payments.issued.v1, payments.controls.v1,
payments.recovery-orders.v1) and every `<topic>.dlq` are only read: a record that cannot be projected is set aside
here (kind `unprojectable_record`), never written to the owner's dead letters.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from guichet_backoffice import privacy_follower, projection, translate
from guichet_backoffice.controls_projection import apply_controls, apply_recovery_orders
from guichet_backoffice.domain import UNPROJECTABLE_RECORD, DeadLetter
from guichet_backoffice.projection import AbstractBackofficeUnitOfWork
from guichet_backoffice.unit_of_work import opening
from guichet_common.clock import Clock
from guichet_common.contracts import ClaimStatusV1, PaymentIssuedV1
from guichet_common.contracts.backoffice import (
    BudgetV1,
    CommandOutcomeV1,
    EmailV1,
    JudgementV1,
    OperatorCommandV1,
    ReviewDecisionV1,
    SepaFileV1,
    SetAsideV1,
)
from guichet_common.contracts.controls import ControlDecisionV1, ControlEventV1, RecoveryOrderEventV1
from guichet_common.contracts.internal import ClaimRegisteredV1
from guichet_common.contracts.privacy import AccessResponseV1, ClaimKeysV1, PrivacyErasedV1
from guichet_common.pipeline import DeadLetter as Unusable
from guichet_common.pipeline import Published
from guichet_common.privacy.key_copies import key_copies
from guichet_common.privacy.keyring import Erased, Opener
from guichet_common.runtime import Wiring
from guichet_common.topics import (
    ACCESS_RESPONSES,
    ALL_TOPICS,
    BUDGETS,
    CLAIM_KEYS,
    CLAIMS_REGISTERED,
    CLAIMS_STATUS,
    COMMAND_OUTCOMES,
    CONTROL_DECISIONS,
    CONTROLS,
    EMAILS,
    JUDGEMENTS,
    OPERATOR_COMMANDS,
    PAYMENTS_ISSUED,
    PRIVACY_ERASED,
    RECOVERY_ORDERS,
    REVIEW_DECISIONS,
    SEPA_FILES,
    SET_ASIDE_ITEMS,
    owner_of,
)

SERVICE = "backoffice"


Subscription = tuple[str, type[BaseModel], Callable[..., Any], str]


class UnchangedRecord(BaseModel):
    """A dead letter: the original record, unchanged (any value, even one that is not JSON), with dlq.* headers."""

    model_config = ConfigDict(extra="allow")


async def opened(uow: AbstractBackofficeUnitOfWork, values: Sequence[str | None]) -> translate.Opened:
    """The sealed values among `values` opened with the back-office's key copies (None: erased). A key not received
    yet raises KeyNotYetKnown: the consumer waits for it, then retries the batch."""
    found = await uow.opener.open_many(uow.keys, values)
    return {value: None if isinstance(clear, Erased) else clear for value, clear in found.items()}


async def apply_statuses(uow: AbstractBackofficeUnitOfWork, statuses: Sequence[ClaimStatusV1]) -> list[Published]:
    await projection.project_statuses(uow, [translate.status(s) for s in statuses])
    return []


async def apply_registrations(
    uow: AbstractBackofficeUnitOfWork, registered: Sequence[ClaimRegisteredV1]
) -> list[Published]:
    sealed = [v for r in registered for v in (*r.claim.contact.model_dump().values(), r.claim.bank_account.iban)]
    clear = await opened(uow, sealed)
    await projection.project_registrations(uow, [translate.registration(r, clear) for r in registered])
    return []


async def apply_issued(uow: AbstractBackofficeUnitOfWork, issued: Sequence[PaymentIssuedV1]) -> list[Published]:
    await projection.project_issued_payments(uow, [translate.issued(i) for i in issued])
    return []


async def apply_judgements(uow: AbstractBackofficeUnitOfWork, judgements: Sequence[JudgementV1]) -> list[Published]:
    await projection.project_judgements(uow, [translate.judgement(j) for j in judgements])
    return []


async def apply_budgets(uow: AbstractBackofficeUnitOfWork, budgets: Sequence[BudgetV1]) -> list[Published]:
    await projection.project_budgets(uow, [translate.budget(b) for b in budgets])
    return []


async def apply_emails(uow: AbstractBackofficeUnitOfWork, emails: Sequence[EmailV1]) -> list[Published]:
    clear = await opened(uow, [e.recipient for e in emails])
    await projection.project_emails(uow, [translate.email(e, clear) for e in emails])
    return []


async def apply_sepa_files(uow: AbstractBackofficeUnitOfWork, files: Sequence[SepaFileV1]) -> list[Published]:
    readable = {id(f): content for f in files if (content := translate.gzip_content(f)) is not None}
    await projection.project_sepa_files(
        uow, [translate.sepa_file(f, readable[id(f)]) for f in files if id(f) in readable]
    )
    return [
        Unusable(f, "content_gzip_base64: not a gzip of the file its sha256 names")
        for f in files
        if id(f) not in readable
    ]


async def apply_set_aside(uow: AbstractBackofficeUnitOfWork, changes: Sequence[SetAsideV1]) -> list[Published]:
    await projection.project_set_aside(uow, [translate.set_aside(c) for c in changes])
    return []


async def apply_outcomes(uow: AbstractBackofficeUnitOfWork, outcomes: Sequence[CommandOutcomeV1]) -> list[Published]:
    await projection.project_outcomes(uow, [translate.outcome(o) for o in outcomes])
    return []


async def apply_dead_letters(uow: AbstractBackofficeUnitOfWork, letters: Sequence[DeadLetter]) -> list[Published]:
    await projection.project_dead_letters(uow, letters)
    return []


async def apply_access_responses(
    uow: AbstractBackofficeUnitOfWork, responses: Sequence[AccessResponseV1]
) -> list[Published]:
    await privacy_follower.keep_access_responses(uow, responses)
    return []


# Facts published for the back-office: it owns these topics, their dead letters and replays.
OWNED: tuple[Subscription, ...] = (
    (JUDGEMENTS.name, JudgementV1, apply_judgements, "Eligibility's decisions, rule by rule"),
    (BUDGETS.name, BudgetV1, apply_budgets, "Each programme's envelope after a change"),
    (EMAILS.name, EmailV1, apply_emails, "E-mails sent or given up on"),
    (SEPA_FILES.name, SepaFileV1, apply_sepa_files, "pain.001 files payments wrote"),
    (SET_ASIDE_ITEMS.name, SetAsideV1, apply_set_aside, "Items set aside, and operators' decisions on them"),
    (COMMAND_OUTCOMES.name, CommandOutcomeV1, apply_outcomes, "What the owners did with the back-office's commands"),
    (
        ACCESS_RESPONSES.name,
        AccessResponseV1,
        apply_access_responses,
        "Each service's part of a subject-access request",
    ),
)
# Other services' topics, read for the read model only.
READ_ONLY: tuple[Subscription, ...] = (
    (CLAIMS_STATUS.name, ClaimStatusV1, apply_statuses, "Claims' statuses, for their timeline and the queues"),
    (CLAIMS_REGISTERED.name, ClaimRegisteredV1, apply_registrations, "Registered claims: company and invoices"),
    (PAYMENTS_ISSUED.name, PaymentIssuedV1, apply_issued, "Payment attempts sent to finance"),
    (CONTROLS.name, ControlEventV1, apply_controls, "Claims selected for control, and their outcomes"),
    (RECOVERY_ORDERS.name, RecoveryOrderEventV1, apply_recovery_orders, "Each step of each recovery order"),
)


def following_erasures(topic_prefix: str, clock: Clock) -> Callable[..., Any]:
    async def apply_erasures(
        uow: AbstractBackofficeUnitOfWork, announcements: Sequence[PrivacyErasedV1]
    ) -> list[Published]:
        await privacy_follower.follow_erasures(uow, announcements, topic_prefix=topic_prefix, now=clock())
        return []

    return apply_erasures


def forgetting_exports(clock: Clock) -> Callable[[AbstractBackofficeUnitOfWork], Awaitable[int]]:
    async def forget_old_exports(uow: AbstractBackofficeUnitOfWork) -> int:
        return await privacy_follower.forget_old_exports(uow, clock())

    return forget_old_exports


def register_handlers(wiring: Wiring) -> None:
    opener = Opener(wiring.settings.master_key())
    wiring.unit_of_work = opening(opener)
    prefix = wiring.settings.topic_prefix
    for topic, payload, handler, description in OWNED:
        assert owner_of(topic) == SERVICE, f"{topic} is not the back-office's to dead-letter"
        wiring.subscribe(topic, payload, handler, description=description)
    for topic, payload, handler, description in READ_ONLY:
        wiring.subscribe(topic, payload, handler, description=description, set_aside_kind=UNPROJECTABLE_RECORD)
    wiring.subscribe(
        PRIVACY_ERASED.name,
        PrivacyErasedV1,
        following_erasures(prefix, wiring.settings.clock()),
        description="Erasures intake announced: the back-office erases its own copies of that kind, then says so",
        set_aside_kind=UNPROJECTABLE_RECORD,
    )
    wiring.repeat("privacy_exports_forgotten", forgetting_exports(wiring.settings.clock()), pause_s=3600)
    copies = key_copies(opener)
    wiring.subscribe(
        CLAIM_KEYS.name,
        ClaimKeysV1,
        copies.use_case,
        decode=copies.decode,
        event_id=None,  # idempotent by content: the latest announcement of a subject wins
        description="Copies of the claims' and batches' data keys, to open their sealed fields",
        set_aside_kind="claim_key",
    )
    for spec in ALL_TOPICS:
        if spec.has_dead_letters:
            wiring.subscribe(
                spec.dead_letter(),
                UnchangedRecord,
                apply_dead_letters,
                decode=lambda record: translate.dead_letter(record, owner_of(record.topic.removeprefix(prefix))),
                event_id=None,  # idempotent by the record's coordinates
                description=f"Dead letters of {spec.name}, for the dead-letter page (read only)",
                set_aside_kind=UNPROJECTABLE_RECORD,
            )
    # What the back-office sends (guichet_backoffice.commands, through its outbox), for the AsyncAPI document.
    wiring.publishes(REVIEW_DECISIONS.name, ReviewDecisionV1, "A reviewed claim approved or rejected by a person")
    for service, spec in OPERATOR_COMMANDS.items():
        wiring.publishes(spec.name, OperatorCommandV1, f"Dead letters and set-aside items of {service}, decided")
    wiring.publishes(CONTROL_DECISIONS.name, ControlDecisionV1, "A control campaign opened, or a control's outcome")
    wiring.publishes(PRIVACY_ERASED.name, PrivacyErasedV1, "The back-office erased its copies of a claim's data")
