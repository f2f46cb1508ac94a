"""The read model in memory, with the same rules as its SQL (upserts; a current value only moves to a newer event's),
and a wiring that keeps the subscriptions `register_handlers` declares. No database, no broker."""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
import uuid
from collections.abc import Sequence
from typing import Any

from guichet_backoffice.controls_model import ControlChange, RecoveryStep
from guichet_backoffice.domain import (
    Budget,
    CommandOutcome,
    DeadLetter,
    Email,
    IssuedAttempt,
    Judgement,
    PaymentMove,
    Registration,
    SepaFile,
    SetAsideChange,
    StatusChange,
)
from guichet_backoffice.handlers import register_handlers
from guichet_backoffice.privacy_model import AccessPart, ExportRequest, Held
from guichet_backoffice.projection import AbstractBackofficeUnitOfWork
from guichet_backoffice.settings import BackofficeSettings
from guichet_common.pipeline import Subscription, contract
from guichet_common.privacy.keyring import Opener
from guichet_common.unit_of_work import FakeUnitOfWork

from .events import KEY_STATES, MASTER

NOW = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)


@dataclasses.dataclass
class ClaimRow:
    claim_id: str
    programme: str | None = None
    siren: str | None = None
    company_name: str | None = None
    registered: bool = False
    received_at: dt.datetime | None = None
    status: str | None = None
    status_reasons: tuple[str, ...] = ()
    status_at: dt.datetime | None = None
    amount_cents: int | None = None
    eligibility_status: str | None = None
    judged_at: dt.datetime | None = None
    invoices: tuple[Any, ...] = ()
    contact: dict[str, Any] | None = None
    iban_last4: str | None = None


class InMemoryClaims:
    def __init__(self) -> None:
        self.rows: dict[str, ClaimRow] = {}
        self.timeline: dict[uuid.UUID, StatusChange] = {}
        self.judgements: dict[uuid.UUID, Judgement] = {}
        self.emails: dict[uuid.UUID, Email] = {}

    def _row(self, claim_id: str) -> ClaimRow:
        return self.rows.setdefault(claim_id, ClaimRow(claim_id))

    async def record_registrations(self, registrations: Sequence[Registration]) -> None:
        for r in registrations:
            row = self._row(r.claim_id)
            row.programme, row.siren, row.company_name = r.programme, r.siren, r.company_name
            row.registered, row.received_at = True, r.submitted_at
            row.invoices = row.invoices or r.invoices
            row.contact = None if r.contact is None else dict(r.contact)
            row.iban_last4 = r.iban_last4

    async def record_statuses(self, changes: Sequence[StatusChange]) -> None:
        for c in changes:
            self.timeline.setdefault(c.event_id, c)
            row = self._row(c.claim_id)
            row.programme, row.siren = row.programme or c.programme, row.siren or c.siren
            if not row.registered:
                row.received_at = min(filter(None, (row.received_at, c.occurred_at)))
            if row.status_at is None or c.occurred_at >= row.status_at:
                row.status, row.status_reasons, row.status_at = c.status, c.reasons, c.occurred_at
                row.amount_cents = c.amount_cents if c.amount_cents is not None else row.amount_cents

    async def record_judgements(self, judgements: Sequence[Judgement]) -> None:
        for j in judgements:
            self.judgements.setdefault(j.event_id, j)
            row = self._row(j.claim_id)
            if row.judged_at is None or j.occurred_at >= row.judged_at:
                row.eligibility_status, row.judged_at = j.status, j.occurred_at
            row.amount_cents = row.amount_cents if row.amount_cents is not None else j.grant_amount_cents

    async def record_emails(self, emails: Sequence[Email]) -> None:
        for e in emails:
            self.emails.setdefault(e.event_id, e)


class InMemoryPayments:
    def __init__(self) -> None:
        self.rows: dict[str, PaymentMove] = {}
        self.attempts: dict[tuple[str, int], IssuedAttempt] = {}
        self.files: dict[str, SepaFile] = {}
        self.budgets: dict[str, Budget] = {}

    async def record_moves(self, moves: Sequence[PaymentMove]) -> None:
        for m in moves:
            known = self.rows.get(m.payment_id)
            if known is None or m.occurred_at >= known.occurred_at:
                self.rows[m.payment_id] = m

    async def record_attempts(self, attempts: Sequence[IssuedAttempt]) -> None:
        for a in attempts:
            self.attempts.setdefault((a.payment_id, a.attempt), a)

    async def record_files(self, files: Sequence[SepaFile]) -> None:
        for f in files:
            self.files.setdefault(f.batch_id, f)

    async def record_budgets(self, budgets: Sequence[Budget]) -> None:
        for b in budgets:
            known = self.budgets.get(b.programme)
            if known is None or b.as_of >= known.as_of:
                self.budgets[b.programme] = b


class InMemoryOperations:
    def __init__(self) -> None:
        self.dead_letters: dict[str, DeadLetter] = {}
        self.set_aside: dict[tuple[str, str, str], SetAsideChange] = {}
        self.outcomes: dict[uuid.UUID, CommandOutcome] = {}

    async def record_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        for d in letters:
            self.dead_letters.setdefault(d.id, d)

    async def record_set_aside(self, changes: Sequence[SetAsideChange]) -> None:
        for c in changes:
            known = self.set_aside.get((c.service, c.kind, c.item_id))
            if known is None or c.occurred_at >= known.occurred_at:
                self.set_aside[(c.service, c.kind, c.item_id)] = c

    async def record_outcomes(self, outcomes: Sequence[CommandOutcome]) -> None:
        for o in outcomes:
            self.outcomes.setdefault(o.command_id, o)


class InMemoryControls:
    """Controls and recovery orders as their SQL keeps them: each event once, the order's latest step wins."""

    def __init__(self) -> None:
        self.events: dict[uuid.UUID, ControlChange] = {}
        self.controls: dict[str, dict[str, Any]] = {}
        self.steps: dict[uuid.UUID, RecoveryStep] = {}
        self.orders: dict[str, RecoveryStep] = {}

    async def record_controls(self, changes: Sequence[ControlChange]) -> None:
        for c in sorted(changes, key=lambda c: (c.claim_id, c.occurred_at)):
            self.events.setdefault(c.event_id, c)
            row = self.controls.setdefault(c.claim_id, {"campaign_id": c.campaign_id, "paid_cents": c.paid_cents})
            if c.kind == "selected":
                row |= {"grounds": c.grounds, "reply_by": c.reply_by}
            else:
                row |= {"outcome": c.outcome, "reason_code": c.reason_code, "amount": c.amount_undue_cents}

    async def record_recovery_steps(self, steps: Sequence[RecoveryStep]) -> None:
        for s in sorted(steps, key=lambda s: (s.order_id, s.occurred_at)):
            self.steps.setdefault(s.event_id, s)
            known = self.orders.get(s.order_id)
            if known is None or s.occurred_at >= known.occurred_at:
                self.orders[s.order_id] = s


class InMemoryPrivacy:
    """The privacy repository's rules on the in-memory read model."""

    def __init__(self, claims: InMemoryClaims, payments: InMemoryPayments) -> None:
        self.claims, self.payments = claims, payments
        self.responses: dict[tuple[uuid.UUID, str], AccessPart] = {}
        self.exports: dict[uuid.UUID, ExportRequest] = {}

    async def erase(self, kind: str, claim_ids: Sequence[str]) -> None:
        for claim_id in claim_ids:
            row = self.claims.rows.get(claim_id)
            if kind == "contact":
                if row is not None:
                    row.contact = None
                for event_id, email in list(self.claims.emails.items()):
                    if email.claim_id == claim_id:
                        self.claims.emails[event_id] = dataclasses.replace(email, recipient=None)
            else:
                if row is not None:
                    row.iban_last4 = None
                for key, attempt in list(self.payments.attempts.items()):
                    if attempt.claim_id == claim_id:
                        self.payments.attempts[key] = dataclasses.replace(
                            attempt,
                            beneficiary_name=None,
                            iban_last4=None,  # type: ignore[arg-type]
                        )

    async def rectify_contact(self, claim_id: str, field: str, value: str) -> bool:
        row = self.claims.rows.get(claim_id)
        if row is None or row.contact is None:
            return False
        row.contact[field] = value
        return True

    async def claim_ids(self, selector: str, value: str) -> list[str]:
        def matches(row: ClaimRow) -> bool:
            if selector == "email":
                return bool(row.contact) and str(row.contact.get("email", "")).lower() == value.lower()  # type: ignore[union-attr]
            return (row.siren if selector == "siren" else row.claim_id) == value

        return sorted(row.claim_id for row in self.claims.rows.values() if matches(row))

    async def record_responses(self, parts: Sequence[AccessPart]) -> None:
        for part in parts:
            self.responses.setdefault((part.request_id, part.service), part)

    async def add_export(self, request: ExportRequest) -> None:
        self.exports[request.request_id] = request

    async def export(self, request_id: uuid.UUID) -> tuple[ExportRequest, list[AccessPart]] | None:
        request = self.exports.get(request_id)
        if request is None:
            return None
        return request, sorted((p for (r, _), p in self.responses.items() if r == request_id), key=lambda p: p.service)

    async def forget_exports_before(self, before: dt.datetime) -> int:
        old = [r for r in self.exports.values() if r.requested_at < before]
        for request in old:
            del self.exports[request.request_id]
        return len(old)

    async def outcome(self, command_id: uuid.UUID) -> Any:
        return None

    async def held(self, claim_ids: Sequence[str]) -> list[Held]:
        return [
            Held("table claims", row.claim_id, {"contact": row.contact, "iban_last4": row.iban_last4})
            for claim_id in sorted(claim_ids)
            if (row := self.claims.rows.get(claim_id)) is not None
        ]


class FakeBackofficeUnitOfWork(FakeUnitOfWork, AbstractBackofficeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.keys.keys = KEY_STATES  # type: ignore[attr-defined]  # the keys the test events were sealed with
        self.opener = Opener(MASTER)
        self.claims = InMemoryClaims()
        self.payments = InMemoryPayments()
        self.operations = InMemoryOperations()
        self.controls = InMemoryControls()
        self.privacy = InMemoryPrivacy(self.claims, self.payments)


class RecordingWiring:
    """Enough of `guichet_common.runtime.Wiring` for `register_handlers`: each topic's subscription as the real
    wiring builds it (decoder, inbox, set-aside kind), so tests apply records as the service would."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.unit_of_work: Any = None
        self.subscriptions: dict[str, Subscription[Any, Any]] = {}
        self.jobs: dict[str, Any] = {}

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
        self.subscriptions[self.settings.topic(topic)] = Subscription(
            use_case=use_case, decode=decode or contract(payload), event_id=event_id, set_aside_kind=set_aside_kind
        )

    def publishes(self, topic: str, payload: Any, description: str) -> None:
        pass  # only the AsyncAPI document needs it

    def repeat(self, name: str, job: Any, *, pause_s: float) -> None:
        self.jobs[name] = job


def subscriptions(topic_prefix: str = "") -> dict[str, Subscription[Any, Any]]:
    wiring = RecordingWiring(BackofficeSettings(GUICHET_TOPIC_PREFIX=topic_prefix))
    register_handlers(wiring)  # type: ignore[arg-type]  # a stand-in for the real wiring
    assert wiring.unit_of_work is not None
    return wiring.subscriptions
