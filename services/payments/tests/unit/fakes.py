"""Payments' unit of work in memory, for the use cases' unit tests: the same repository surfaces as PostgreSQL's
(`guichet_payments.unit_of_work`), with the constraints the use cases rely on (the envelope's CHECKs, one payment
per claim and per company). Writes copy only the fields their SQL writes, so a use case that forgets to save a
change is caught here too. Loaded by tests/unit/conftest.py as `guichet_payments_tests_fakes`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from guichet_common.contracts import ClaimDecidedV1
from guichet_common.outbox import OutboxMessage
from guichet_common.settings import project_root
from guichet_common.unit_of_work import FakeUnitOfWork
from guichet_payments.bank_files.suspense_repository import EntryDecision, HeldEntry
from guichet_payments.domain import (
    Attempt,
    AttemptState,
    Batch,
    EnvelopeFigures,
    Payee,
    Payment,
    PaymentState,
    Waiting,
)
from guichet_payments.unit_of_work import PaymentsWork
from guichet_programme import Programme, load_programme

from .controls_fakes import InMemoryControls
from .privacy_fakes import InMemoryPrivacy
from .recovery_fakes import InMemoryRecovery

PROGRAMME = load_programme(project_root() / "programmes" / "cheque-france-num-2021.toml")
T0 = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)
GRANT = 50_000
IBAN = "FR7693233145437431125912957"


class CheckViolation(Exception):
    """What PostgreSQL's CHECK on budgets would refuse."""


@dataclass
class Envelope:
    total_cents: int
    reserved_cents: int = 0
    paid_cents: int = 0
    released_cents: int = 0
    recovered_cents: int = 0  # recovery orders' repayments given back to the envelope (payments-009)

    def check(self) -> None:
        if (
            not 0 <= self.reserved_cents <= self.total_cents
            or not 0 <= self.paid_cents
            or self.paid_cents - self.recovered_cents > self.reserved_cents
            or not 0 <= self.recovered_cents <= self.paid_cents
        ):
            raise CheckViolation(f"budget check violated: {self}")


class InMemoryBudgets:
    def __init__(self, waitlist: InMemoryWaitlist) -> None:
        self.envelopes: dict[str, Envelope] = {}
        self._waitlist = waitlist

    async def ensure(self, programme: str, total_cents: int) -> None:
        self.envelopes.setdefault(programme, Envelope(total_cents))

    async def available_cents_locked(self, programmes: Sequence[str]) -> dict[str, int]:
        return {p: self.envelopes[p].total_cents - self.envelopes[p].reserved_cents for p in programmes}

    async def reserve(self, programme: str, amount_cents: int) -> None:
        self._change(programme, reserved_cents=amount_cents)

    async def try_reserve(self, programme: str, amount_cents: int) -> bool:
        envelope = self.envelopes[programme]
        if envelope.reserved_cents + amount_cents > envelope.total_cents:
            return False
        self._change(programme, reserved_cents=amount_cents)
        return True

    async def release(self, programme: str, amount_cents: int) -> None:
        self._change(programme, reserved_cents=-amount_cents, released_cents=amount_cents)

    async def add_paid(self, programme: str, amount_cents: int) -> None:
        self._change(programme, paid_cents=amount_cents)

    async def remove_paid(self, programme: str, amount_cents: int) -> None:
        self._change(programme, paid_cents=-amount_cents)

    async def snapshot(self, programmes: Sequence[str]) -> list[EnvelopeFigures]:
        waiting = [w.programme for w in self._waitlist.entries.values()]
        return [
            EnvelopeFigures(p, e.total_cents, e.reserved_cents, e.paid_cents, e.released_cents, waiting.count(p))
            for p, e in sorted(self.envelopes.items())
            if p in programmes
        ]

    def _change(self, programme: str, **deltas: int) -> None:
        envelope = self.envelopes[programme]
        changed = dataclasses.replace(envelope, **{k: getattr(envelope, k) + v for k, v in deltas.items()})
        changed.check()
        self.envelopes[programme] = changed


class InMemoryWaitlist:
    def __init__(self) -> None:
        self.entries: dict[str, Waiting] = {}

    async def programmes_with_waitlist(self, programmes: Sequence[str]) -> set[str]:
        return {w.programme for w in self.entries.values()} & set(programmes)

    async def add(self, entries: Sequence[Waiting]) -> None:
        for entry in entries:
            self.entries.setdefault(entry.claim_id, entry)

    async def oldest(self, programme: str) -> Waiting | None:
        mine = sorted((w for w in self.entries.values() if w.programme == programme), key=_queue_order)
        return mine[0] if mine else None

    async def leave(self, claim_id: str) -> None:
        self.entries.pop(claim_id, None)


def _queue_order(waiting: Waiting) -> tuple[dt.datetime, str]:
    return waiting.submitted_at, waiting.claim_id


class InMemoryPayments:
    def __init__(self, waitlist: InMemoryWaitlist) -> None:
        self.payments: dict[str, Payment] = {}
        self.attempts: dict[tuple[str, int], Attempt] = {}
        self.batches: list[Batch] = []
        self.rejected_batches: dict[str, tuple[str | None, dt.datetime]] = {}
        self._waitlist = waitlist

    async def companies_already_served(self, companies: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        known = {(p.programme, p.siren) for p in self.payments.values()}
        known |= {(w.programme, w.siren) for w in self._waitlist.entries.values()}
        return known & set(companies)

    async def add(self, payments: Sequence[Payment]) -> None:
        for payment in payments:
            taken = {(p.programme, p.siren) for p in self.payments.values()} | {
                p.claim_id for p in self.payments.values()
            }
            if payment.payment_id in self.payments or {(payment.programme, payment.siren), payment.claim_id} & taken:
                raise ValueError(f"unique violation: {payment}")
            self.payments[payment.payment_id] = payment

    async def add_attempts(self, attempts: Sequence[Attempt]) -> None:
        for attempt in attempts:
            if (attempt.payment_id, attempt.number) in self.attempts or attempt.end_to_end_id in {
                a.end_to_end_id for a in self.attempts.values()
            }:
                raise ValueError(f"unique violation: {attempt}")
            self.attempts[(attempt.payment_id, attempt.number)] = attempt

    async def programmes_with_unbatched(self, older_than: dt.datetime, min_count: int) -> list[str]:
        by_programme: dict[str, list[Attempt]] = {}
        for payment, attempt in self._unbatched():
            by_programme.setdefault(payment.programme, []).append(attempt)
        return [
            programme
            for programme, attempts in by_programme.items()
            if len(attempts) >= min_count or min(a.created_at for a in attempts) <= older_than
        ]

    async def take_unbatched(self, programme: str, limit: int) -> list[tuple[Payment, Attempt]]:
        mine = [(p, a) for p, a in self._unbatched() if p.programme == programme]
        return sorted(mine, key=lambda due: (due[1].created_at, due[1].payment_id))[:limit]

    def _unbatched(self) -> list[tuple[Payment, Attempt]]:
        return [
            (self.payments[a.payment_id], a)
            for a in self.attempts.values()
            if a.batch_id is None and a.status is AttemptState.SCHEDULED
        ]

    async def attempt_of(self, payment_id: str, attempt: int) -> tuple[Payment, Attempt] | None:
        return await self.attempt_for_report(payment_id, attempt)

    async def payment(self, payment_id: str) -> Payment | None:
        return self.payments.get(payment_id)

    async def record_attempt_status(self, attempt: Attempt) -> None:
        key = (attempt.payment_id, attempt.number)
        self.attempts[key] = dataclasses.replace(self.attempts[key], status=attempt.status)

    async def record_blocked(self, attempt: Attempt) -> None:
        key = (attempt.payment_id, attempt.number)
        if self.attempts[key].status is AttemptState.SCHEDULED:
            self.attempts[key] = dataclasses.replace(self.attempts[key], status=attempt.status)

    async def record_batch(self, batch: Batch, sent: Sequence[tuple[Payment, Attempt]]) -> None:
        self.batches.append(batch)
        for payment, attempt in sent:
            key = (attempt.payment_id, attempt.number)
            self.attempts[key] = dataclasses.replace(
                self.attempts[key], batch_id=batch.batch_id, status=AttemptState.SENT
            )
            self.payments[payment.payment_id] = dataclasses.replace(
                self.payments[payment.payment_id], status=PaymentState.SENT
            )

    async def recorded_batches(self, batch_ids: Sequence[str]) -> list[Batch]:
        return sorted((batch for batch in self.batches if batch.batch_id in batch_ids), key=lambda b: b.batch_id)

    async def attempt_for_report(self, payment_id: str, attempt: int) -> tuple[Payment, Attempt] | None:
        found = self.attempts.get((payment_id, attempt))
        return None if found is None else (self.payments[payment_id], found)

    async def record_report(self, payment: Payment, attempt: Attempt) -> None:
        key = (attempt.payment_id, attempt.number)
        self.attempts[key] = dataclasses.replace(self.attempts[key], status=attempt.status)
        self.payments[payment.payment_id] = dataclasses.replace(
            self.payments[payment.payment_id],
            status=payment.status,
            return_reason=payment.return_reason,
            returned_at=payment.returned_at,
        )

    async def still_sent_in_batch(self, batch_id: str) -> list[tuple[Payment, Attempt]] | None:
        if batch_id not in {b.batch_id for b in self.batches} | {a.batch_id for a in self.attempts.values()}:
            return None
        sent = [a for a in self.attempts.values() if a.batch_id == batch_id and a.status is AttemptState.SENT]
        return [(self.payments[a.payment_id], a) for a in sorted(sent, key=lambda a: a.payment_id)]

    async def record_batch_rejected(self, batch_id: str, reason: str | None, at: dt.datetime) -> None:
        self.rejected_batches[batch_id] = (reason, at)

    async def record_file_rejection(self, payment: Payment, rejected: Attempt, again: Attempt) -> None:
        await self.record_attempt_status(rejected)
        await self.record_retry(payment, again)

    async def returned_payment_of_claim(self, claim_id: str) -> Payment | None:
        for payment in self.payments.values():
            if payment.claim_id == claim_id and payment.status is PaymentState.RETURNED:
                return payment
        return None

    async def record_retry(self, payment: Payment, attempt: Attempt) -> None:
        self.payments[payment.payment_id] = dataclasses.replace(
            self.payments[payment.payment_id],
            attempt=payment.attempt,
            status=payment.status,
            returned_at=payment.returned_at,
        )
        await self.add_attempts([attempt])

    async def take_expired_returns(self, programme: str, returned_before: dt.datetime, limit: int) -> list[Payment]:
        expired = [
            p
            for p in self.payments.values()
            if p.programme == programme
            and p.status is PaymentState.RETURNED
            and not p.expiry_set_aside
            and p.returned_at is not None
            and p.returned_at <= returned_before
        ]
        return sorted(expired, key=lambda p: p.returned_at or returned_before)[:limit]

    async def record_expiry_held(self, payment: Payment) -> None:
        stored = self.payments[payment.payment_id]
        self.payments[payment.payment_id] = dataclasses.replace(stored, expiry_set_aside=payment.expiry_set_aside)

    async def record_status(self, payment: Payment) -> None:
        self.payments[payment.payment_id] = dataclasses.replace(
            self.payments[payment.payment_id], status=payment.status
        )


class InMemoryBankAccounts:
    def __init__(self, payments: InMemoryPayments, waitlist: InMemoryWaitlist) -> None:
        self._payments = payments
        self._waitlist = waitlist
        self.waiting_fingerprints: dict[str, str] = {}

    async def remember_waiting_accounts(self, fingerprints: Mapping[str, str]) -> None:
        self.waiting_fingerprints.update(fingerprints)

    async def used_by_other_companies(self, iban: str, siren: str, fingerprint: str) -> bool:
        on_attempts = any(
            _compact(a.payee.iban) == iban and self._payments.payments[a.payment_id].siren != siren
            for a in self._payments.attempts.values()
        )
        waiting = any(
            (self.waiting_fingerprints.get(w.claim_id) == fingerprint or _compact(str(w.decision["iban"])) == iban)
            and w.siren != siren
            for w in self._waitlist.entries.values()
        )
        return on_attempts or waiting


def _compact(iban: str) -> str:
    return "".join(iban.split()).upper()


class InMemorySuspense:
    """Bank entries (`HeldEntry` by id), the settlement events made from them, and the set-aside decisions."""

    def __init__(self, payments: InMemoryPayments) -> None:
        self.entries: dict[str, HeldEntry] = {}
        self.reasons: dict[str, str] = {}
        self.settlement_events: dict[uuid.UUID, str] = {}
        self.decisions: dict[str, EntryDecision] = {}
        self.set_aside_decisions: dict[tuple[str, str], tuple[str, str, dt.datetime]] = {}
        self._payments = payments

    async def entry_of_settlement(self, event_id: uuid.UUID) -> str | None:
        return self.settlement_events.get(event_id)

    async def hold(self, entry_id: str, reason: str) -> None:
        self.entries[entry_id] = dataclasses.replace(self.entries[entry_id], state="suspense")
        self.reasons[entry_id] = reason

    async def entry(self, entry_id: str) -> HeldEntry | None:
        return self.entries.get(entry_id)

    async def attempt_by_end_to_end_id(self, end_to_end_id: str) -> tuple[str, int] | None:
        for a in self._payments.attempts.values():
            if a.end_to_end_id == end_to_end_id:
                return a.payment_id, a.number
        return None

    async def attempts_by_amount_and_account(
        self, amount_cents: int, iban: str, remittance: str | None
    ) -> list[tuple[str, int]]:
        return [
            (a.payment_id, a.number)
            for a in self._payments.attempts.values()
            if a.amount_cents == amount_cents
            and _compact(a.payee.iban) == iban
            and a.status in (AttemptState.SENT, AttemptState.SETTLED, AttemptState.RETURNED)
            and (remittance is None or self._payments.payments[a.payment_id].claim_id in remittance)
        ][:2]

    async def decision(self, kind: str, entry_id: str) -> tuple[str, str, dt.datetime] | None:
        return self.set_aside_decisions.get((kind, entry_id))

    async def record_decision(self, entry_id: str, decision: EntryDecision) -> None:
        self.entries[entry_id] = dataclasses.replace(self.entries[entry_id], state=decision.state)
        self.decisions[entry_id] = decision
        if decision.settlement_event_id is not None:
            self.settlement_events[decision.settlement_event_id] = entry_id


class FakePaymentsUnitOfWork(FakeUnitOfWork, PaymentsWork):
    def __init__(self) -> None:
        super().__init__()
        self.waitlist: InMemoryWaitlist = InMemoryWaitlist()
        self.budgets: InMemoryBudgets = InMemoryBudgets(self.waitlist)
        self.payments: InMemoryPayments = InMemoryPayments(self.waitlist)
        self.accounts: InMemoryBankAccounts = InMemoryBankAccounts(self.payments, self.waitlist)
        self.suspense: InMemorySuspense = InMemorySuspense(self.payments)
        self.privacy: InMemoryPrivacy = InMemoryPrivacy(self.payments, self.waitlist, self.erasures)
        self.controls: InMemoryControls = InMemoryControls()
        self.recovery: InMemoryRecovery = InMemoryRecovery(self.budgets, self.held)


# --- test data ------------------------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def programme_of(total_cents: int) -> Programme:
    """The example programme with an envelope of `total_cents`."""
    return PROGRAMME.model_copy(update={"budget": PROGRAMME.budget.model_copy(update={"total_cents": total_cents})})


def approval(n: int, *, siren: str | None = None, **fields: Any) -> ClaimDecidedV1:
    values: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "occurred_at": T0,
        "correlation_id": uuid.uuid4(),
        "claim_id": f"CFN-UNIT-{n:07d}",
        "programme": PROGRAMME.id,
        "siren": siren or f"{100000000 + n}",
        "decision": "approved",
        "rule_version": "2021-01-28",
        "grant_amount_cents": GRANT,
        "submitted_at": T0 + dt.timedelta(seconds=n),
        "beneficiary_name": "BOUTIQUE TEST",
        "iban": IBAN,
    }
    return ClaimDecidedV1(**(values | fields))


async def with_envelope(total_cents: int = PROGRAMME.budget.total_cents) -> FakePaymentsUnitOfWork:
    uow = FakePaymentsUnitOfWork()
    await uow.budgets.ensure(PROGRAMME.id, total_cents)
    return uow


async def seed_payment(
    uow: FakePaymentsUnitOfWork, n: int, *, status: PaymentState = PaymentState.SENT, returned_at: dt.datetime = T0
) -> tuple[Payment, Attempt]:
    """A payment of claim `n`, reserved from the envelope, whose first attempt is in a file (`sent`), or further on:
    `settled` or `returned` (at `returned_at`). Built with the domain's own moves."""
    payment, attempt = Payment.schedule(
        claim_id=f"CFN-UNIT-{n:07d}",
        programme=PROGRAMME.id,
        siren=f"{100000000 + n}",
        amount_cents=GRANT,
        submitted_at=T0 + dt.timedelta(seconds=n),
        payee=Payee("BOUTIQUE TEST", IBAN, None),
        now=T0,
    )
    await uow.budgets.reserve(PROGRAMME.id, GRANT)
    if status is not PaymentState.SCHEDULED:
        payment, attempt = payment.send(attempt, "B-1")
    if status is PaymentState.SETTLED:
        payment, attempt = payment.settle(attempt)
    if status is PaymentState.RETURNED:
        payment, attempt = payment.record_return(attempt, "AC04", returned_at)
    uow.payments.payments[payment.payment_id] = payment
    uow.payments.attempts[(payment.payment_id, attempt.number)] = attempt
    return payment, attempt


def statuses(messages: Sequence[object]) -> list[tuple[str, str, list[str]]]:
    """(claim_id, status, reasons) of each claims.status.v1 event among `messages`."""
    return [(v["claim_id"], v["status"], v["reasons"]) for v in values(messages, "claims.status.v1")]


def values(messages: Sequence[object], topic: str) -> list[dict[str, Any]]:
    return [json.loads(m.value) for m in messages if isinstance(m, OutboxMessage) and m.topic == topic]


def dead_letter_reasons(uow: FakeUnitOfWork, topic: str) -> list[str]:
    return [dict(m.headers)["dlq.reason"].decode() for m in uow.committed if m.topic == topic + ".dlq"]
