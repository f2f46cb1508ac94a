"""The read model's writes for claims and payments, on the connection of one unit of work.

Rows are upserted in key order (two consumers writing the same claims lock them in the same order, so they never
deadlock), one row per key per statement (PostgreSQL refuses to upsert a row twice in one statement: the batch's
latest event per key is kept), and a current value moves only to a newer event's (`... >= ..._at`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

import asyncpg
import orjson

from guichet_backoffice.domain import (
    Budget,
    Email,
    IssuedAttempt,
    Judgement,
    PaymentMove,
    Registration,
    SepaFile,
    StatusChange,
)

T = TypeVar("T")


def latest_by(items: Iterable[T], key: Callable[[T], Hashable], at: Callable[[T], dt.datetime]) -> list[T]:
    """The latest item of each key (the last one on a tie), sorted by key."""
    kept: dict[Hashable, T] = {}
    for item in items:
        previous = kept.get(key(item))
        if previous is None or at(item) >= at(previous):
            kept[key(item)] = item
    return [kept[k] for k in sorted(kept, key=str)]


def _json(value: object) -> str:
    return orjson.dumps(value).decode()


class ClaimsRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def record_registrations(self, registrations: Sequence[Registration]) -> None:
        latest = latest_by(registrations, lambda r: r.claim_id, lambda r: r.submitted_at)
        await self._conn.executemany(
            "INSERT INTO claims (claim_id, programme, siren, company_name, applicant, contact, iban_last4,"
            " registered, received_at) VALUES ($1, $2, $3, $4, $5::text::jsonb, $6::text::jsonb, $7, true, $8)"
            " ON CONFLICT (claim_id) DO UPDATE SET programme = EXCLUDED.programme, siren = EXCLUDED.siren,"
            " company_name = EXCLUDED.company_name, applicant = EXCLUDED.applicant, contact = EXCLUDED.contact,"
            " iban_last4 = EXCLUDED.iban_last4, registered = true, received_at = EXCLUDED.received_at,"
            " updated_at = now()",
            [
                (
                    r.claim_id,
                    r.programme,
                    r.siren,
                    r.company_name,
                    _json(r.applicant),
                    _json(r.contact),
                    r.iban_last4,
                    r.submitted_at,
                )
                for r in latest
            ],
        )
        await self._conn.executemany(
            "INSERT INTO invoices (claim_id, position, invoice_number, issued_on, supplier_name, supplier_siren,"
            " amount_excl_tax_cents, amount_incl_tax_cents, category) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            " ON CONFLICT (claim_id, position) DO NOTHING",
            [
                (
                    r.claim_id,
                    i.position,
                    i.number,
                    i.issued_on,
                    i.supplier_name,
                    i.supplier_siren,
                    i.amount_excl_tax_cents,
                    i.amount_incl_tax_cents,
                    i.category,
                )
                for r in latest
                for i in r.invoices
            ],
        )

    async def record_statuses(self, changes: Sequence[StatusChange]) -> None:
        await self._conn.executemany(
            "INSERT INTO claim_statuses (event_id, claim_id, status, reasons, amount_cents, payment_id, rule_version,"
            " occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING",
            [
                (
                    c.event_id,
                    c.claim_id,
                    c.status,
                    list(c.reasons),
                    c.amount_cents,
                    c.payment_id,
                    c.rule_version,
                    c.occurred_at,
                )
                for c in changes
            ],
        )
        # A claim whose registration has not arrived yet is received, at the latest, when its first status was.
        await self._conn.executemany(
            "INSERT INTO claims AS c (claim_id, programme, siren, received_at, status, status_reasons, status_at,"
            " amount_cents, payment_id) VALUES ($1, $2, $3, $4, $5, $6, $4, $7, $8)"
            " ON CONFLICT (claim_id) DO UPDATE SET programme = coalesce(c.programme, EXCLUDED.programme),"
            " siren = coalesce(c.siren, EXCLUDED.siren),"
            " received_at = CASE WHEN c.registered THEN c.received_at"
            "   ELSE least(c.received_at, EXCLUDED.received_at) END,"
            " status = CASE WHEN c.status_at IS NULL OR EXCLUDED.status_at >= c.status_at"
            "   THEN EXCLUDED.status ELSE c.status END,"
            " status_reasons = CASE WHEN c.status_at IS NULL OR EXCLUDED.status_at >= c.status_at"
            "   THEN EXCLUDED.status_reasons ELSE c.status_reasons END,"
            " amount_cents = CASE WHEN c.status_at IS NULL OR EXCLUDED.status_at >= c.status_at"
            "   THEN coalesce(EXCLUDED.amount_cents, c.amount_cents)"
            "   ELSE coalesce(c.amount_cents, EXCLUDED.amount_cents) END,"
            " payment_id = coalesce(EXCLUDED.payment_id, c.payment_id),"
            " status_at = greatest(c.status_at, EXCLUDED.status_at), updated_at = now()",
            [
                (
                    c.claim_id,
                    c.programme,
                    c.siren,
                    c.occurred_at,
                    c.status,
                    list(c.reasons),
                    c.amount_cents,
                    c.payment_id,
                )
                for c in latest_by(changes, lambda c: c.claim_id, lambda c: c.occurred_at)
            ],
        )

    async def record_judgements(self, judgements: Sequence[Judgement]) -> None:
        await self._conn.executemany(
            "INSERT INTO judgements (event_id, claim_id, programme, siren, status, rule_version, reasons, rules,"
            " grant_amount_cents, decided_by, occurred_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, $9, $10, $11) ON CONFLICT (event_id) DO NOTHING",
            [
                (
                    j.event_id,
                    j.claim_id,
                    j.programme,
                    j.siren,
                    j.status,
                    j.rule_version,
                    list(j.reasons),
                    _json(list(j.rules)),
                    j.grant_amount_cents,
                    j.decided_by,
                    j.occurred_at,
                )
                for j in judgements
            ],
        )
        await self._conn.executemany(
            "INSERT INTO claims AS c (claim_id, programme, siren, eligibility_status, eligibility_reasons, judged_at,"
            " amount_cents) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (claim_id) DO UPDATE SET programme = coalesce(c.programme, EXCLUDED.programme),"
            " siren = coalesce(c.siren, EXCLUDED.siren),"
            " eligibility_status = CASE WHEN c.judged_at IS NULL OR EXCLUDED.judged_at >= c.judged_at"
            "   THEN EXCLUDED.eligibility_status ELSE c.eligibility_status END,"
            " eligibility_reasons = CASE WHEN c.judged_at IS NULL OR EXCLUDED.judged_at >= c.judged_at"
            "   THEN EXCLUDED.eligibility_reasons ELSE c.eligibility_reasons END,"
            " judged_at = greatest(c.judged_at, EXCLUDED.judged_at),"
            " amount_cents = coalesce(c.amount_cents, EXCLUDED.amount_cents), updated_at = now()",
            [
                (j.claim_id, j.programme, j.siren, j.status, list(j.reasons), j.occurred_at, j.grant_amount_cents)
                for j in latest_by(judgements, lambda j: j.claim_id, lambda j: j.occurred_at)
            ],
        )

    async def record_emails(self, emails: Sequence[Email]) -> None:
        await self._conn.executemany(
            "INSERT INTO emails (event_id, claim_id, programme, status, subject, recipient, outcome, occurred_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING",
            [
                (e.event_id, e.claim_id, e.programme, e.status, e.subject, e.recipient, e.outcome, e.occurred_at)
                for e in emails
            ],
        )


class PaymentsRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def record_moves(self, moves: Sequence[PaymentMove]) -> None:
        await self._conn.executemany(
            "INSERT INTO payments AS p (payment_id, claim_id, programme, siren, amount_cents, status, status_at,"
            " reasons) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (payment_id) DO UPDATE SET siren = coalesce(p.siren, EXCLUDED.siren),"
            " amount_cents = coalesce(EXCLUDED.amount_cents, p.amount_cents), status = EXCLUDED.status,"
            " status_at = EXCLUDED.status_at, reasons = EXCLUDED.reasons, updated_at = now()"
            " WHERE EXCLUDED.status_at >= p.status_at",
            [
                (
                    m.payment_id,
                    m.claim_id,
                    m.programme,
                    m.siren,
                    m.amount_cents,
                    m.state,
                    m.occurred_at,
                    list(m.reasons),
                )
                for m in latest_by(moves, lambda m: m.payment_id, lambda m: m.occurred_at)
            ],
        )

    async def record_attempts(self, attempts: Sequence[IssuedAttempt]) -> None:
        await self._conn.executemany(
            "INSERT INTO payment_attempts (payment_id, attempt, claim_id, programme, end_to_end_id, batch_id,"
            " amount_cents, beneficiary_name, iban_last4, requested_execution_date, issued_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (payment_id, attempt) DO NOTHING",
            [
                (
                    a.payment_id,
                    a.attempt,
                    a.claim_id,
                    a.programme,
                    a.end_to_end_id,
                    a.batch_id,
                    a.amount_cents,
                    a.beneficiary_name,
                    a.iban_last4,
                    a.requested_execution_date,
                    a.issued_at,
                )
                for a in attempts
            ],
        )

    async def record_files(self, files: Sequence[SepaFile]) -> None:
        await self._conn.executemany(
            "INSERT INTO sepa_files (batch_id, programme, file_name, payments, total_cents, sha256, content_gzip,"
            " content_sealed, written_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            " ON CONFLICT (batch_id) DO NOTHING",
            [
                (
                    f.batch_id,
                    f.programme,
                    f.file_name,
                    f.payments,
                    f.total_cents,
                    f.sha256,
                    f.content_gzip,
                    f.content_sealed,
                    f.written_at,
                )
                for f in files
            ],
        )

    async def record_budgets(self, budgets: Sequence[Budget]) -> None:
        await self._conn.executemany(
            "INSERT INTO budgets AS b (programme, total_cents, reserved_cents, paid_cents, released_cents,"
            " waitlisted, as_of) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (programme) DO UPDATE SET total_cents = EXCLUDED.total_cents,"
            " reserved_cents = EXCLUDED.reserved_cents, paid_cents = EXCLUDED.paid_cents,"
            " released_cents = EXCLUDED.released_cents, waitlisted = EXCLUDED.waitlisted, as_of = EXCLUDED.as_of"
            " WHERE EXCLUDED.as_of >= b.as_of",
            [
                (b.programme, b.total_cents, b.reserved_cents, b.paid_cents, b.released_cents, b.waitlisted, b.as_of)
                for b in latest_by(budgets, lambda b: b.programme, lambda b: b.as_of)
            ],
        )
