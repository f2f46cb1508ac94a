"""Payments' SQL: the envelope, the waitlist, payments and their attempts, SEPA batches. Each repository works on
the unit of work's connection and returns domain objects (`guichet_payments.domain`); states reach SQL as
parameters taken from those objects or the domain's state constants."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import asyncpg

from guichet_payments.domain import Attempt, AttemptState, Batch, EnvelopeFigures, Payee, Payment, PaymentState, Waiting


class BudgetsRepository:
    """Each programme's envelope: what it holds, what is reserved, paid and released."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def ensure(self, programme: str, total_cents: int) -> None:
        await self._conn.execute(
            "INSERT INTO budgets (programme, total_cents) VALUES ($1, $2) ON CONFLICT (programme) DO NOTHING",
            programme,
            total_cents,
        )

    async def available_cents_locked(self, programmes: Sequence[str]) -> dict[str, int]:
        """Each envelope's money not yet reserved, its row locked until the transaction ends (instances queue here)."""
        rows = await self._conn.fetch(
            "SELECT programme, total_cents - reserved_cents AS available FROM budgets"
            " WHERE programme = ANY($1::text[]) ORDER BY programme FOR UPDATE",
            list(programmes),
        )
        return {row["programme"]: row["available"] for row in rows}

    async def reserve(self, programme: str, amount_cents: int) -> None:
        """Reserve what `available_cents_locked` showed to be there; the CHECK on budgets is the last guard."""
        await self._conn.execute(
            "UPDATE budgets SET reserved_cents = reserved_cents + $2 WHERE programme = $1", programme, amount_cents
        )

    async def try_reserve(self, programme: str, amount_cents: int) -> bool:
        """Reserve atomically; False when the envelope cannot cover the amount (nothing changes then)."""
        reserved = await self._conn.fetchval(
            "UPDATE budgets SET reserved_cents = reserved_cents + $2"
            " WHERE programme = $1 AND reserved_cents + $2 <= total_cents RETURNING reserved_cents",
            programme,
            amount_cents,
        )
        return reserved is not None

    async def release(self, programme: str, amount_cents: int) -> None:
        await self._conn.execute(
            "UPDATE budgets SET reserved_cents = reserved_cents - $2, released_cents = released_cents + $2"
            " WHERE programme = $1",
            programme,
            amount_cents,
        )

    async def add_paid(self, programme: str, amount_cents: int) -> None:
        await self._conn.execute(
            "UPDATE budgets SET paid_cents = paid_cents + $2 WHERE programme = $1", programme, amount_cents
        )

    async def remove_paid(self, programme: str, amount_cents: int) -> None:
        """A booked payment came back: no longer paid, still reserved (it waits for new bank details)."""
        await self._conn.execute(
            "UPDATE budgets SET paid_cents = paid_cents - $2 WHERE programme = $1", programme, amount_cents
        )

    async def snapshot(self, programmes: Sequence[str]) -> list[EnvelopeFigures]:
        """The envelopes as they stand in this transaction, with their waitlists' lengths: the figures of
        `status_repository.budget_figures` and `history_repository.waitlisted_count`."""
        rows = await self._conn.fetch(
            "SELECT b.programme, b.total_cents, b.reserved_cents, b.paid_cents, b.released_cents,"
            " (SELECT count(*) FROM waitlist w WHERE w.programme = b.programme) AS waitlisted"
            " FROM budgets b WHERE b.programme = ANY($1::text[]) ORDER BY b.programme",
            list(programmes),
        )
        return [EnvelopeFigures(**dict(row)) for row in rows]


class WaitlistRepository:
    """Approved claims waiting for money, served in submission order."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def programmes_with_waitlist(self, programmes: Sequence[str]) -> set[str]:
        rows = await self._conn.fetch(
            "SELECT DISTINCT programme FROM waitlist WHERE programme = ANY($1::text[])", list(programmes)
        )
        return {row["programme"] for row in rows}

    async def add(self, entries: Sequence[Waiting]) -> None:
        await self._conn.executemany(
            "INSERT INTO waitlist (claim_id, programme, siren, submitted_at, decision) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (claim_id) DO NOTHING",
            [(e.claim_id, e.programme, e.siren, e.submitted_at, e.decision) for e in entries],
        )

    async def oldest(self, programme: str) -> Waiting | None:
        """The first claim in line (submission order), locked so two instances never promote it twice."""
        row = await self._conn.fetchrow(
            "SELECT claim_id, programme, siren, submitted_at, decision FROM waitlist WHERE programme = $1"
            " ORDER BY submitted_at, claim_id LIMIT 1 FOR UPDATE SKIP LOCKED",
            programme,
        )
        return None if row is None else Waiting(**dict(row))

    async def leave(self, claim_id: str) -> None:
        await self._conn.execute("DELETE FROM waitlist WHERE claim_id = $1", claim_id)


# The queries the batcher and the expiry job repeat name their state as a literal, not a parameter: only then can
# PostgreSQL use the partial indexes on it (payment_attempts_unbatched, payments_returned) in a generic plan.
_UNBATCHED = f"'{AttemptState.SCHEDULED}'"
_RETURNED = f"'{PaymentState.RETURNED}'"

# A payment's columns, and its attempt's under names of their own, as `_payment` and `_attempt` read them.
_PAYMENT = (
    "p.payment_id, p.claim_id, p.programme, p.siren, p.amount_cents, p.submitted_at, p.status, p.attempt,"
    " p.returned_at, p.return_reason, p.expiry_set_aside, p.source"
)
_ATTEMPT = (
    "a.attempt AS attempt_number, a.end_to_end_id, a.beneficiary_name, a.iban, a.bic, a.amount_cents AS attempt_cents,"
    " a.created_at AS attempt_created_at, a.status AS attempt_status, a.batch_id"
)


class PaymentsRepository:
    """Payments, their attempts and the SEPA batches the attempts went into."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def companies_already_served(self, companies: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which (programme, SIREN) pairs already have a payment or a place in line."""
        rows = await self._conn.fetch(
            "WITH wanted (programme, siren) AS (SELECT * FROM unnest($1::text[], $2::bpchar[]))"
            " SELECT programme, siren FROM payments JOIN wanted USING (programme, siren)"
            " UNION SELECT programme, siren FROM waitlist JOIN wanted USING (programme, siren)",
            [programme for programme, _ in companies],
            [siren for _, siren in companies],
        )
        return {(row["programme"], row["siren"]) for row in rows}

    async def add(self, payments: Sequence[Payment]) -> None:
        # One statement per batch (unnest) rather than one execution per row.
        await self._conn.execute(
            "INSERT INTO payments (payment_id, claim_id, programme, siren, amount_cents, submitted_at, status,"
            " source) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bpchar[], $5::bigint[],"
            " $6::timestamptz[], $7::text[], $8::text[])",
            *_columns(
                [
                    (p.payment_id, p.claim_id, p.programme, p.siren, p.amount_cents, p.submitted_at, p.status, p.source)
                    for p in payments
                ],
                8,
            ),
        )

    async def add_attempts(self, attempts: Sequence[Attempt]) -> None:
        # created_at comes from the service's clock: batches close by age on that clock.
        await self._conn.execute(
            "INSERT INTO payment_attempts (payment_id, attempt, end_to_end_id, beneficiary_name, iban, bic,"
            " amount_cents, created_at, status) SELECT * FROM unnest($1::text[], $2::int[], $3::text[],"
            " $4::text[], $5::text[], $6::text[], $7::bigint[], $8::timestamptz[], $9::text[])",
            *_columns(
                [
                    (
                        a.payment_id,
                        a.number,
                        a.end_to_end_id,
                        a.payee.name,
                        a.payee.iban,
                        a.payee.bic,
                        a.amount_cents,
                        a.created_at,
                        a.status,
                    )
                    for a in attempts
                ],
                9,
            ),
        )

    async def programmes_with_unbatched(self, older_than: dt.datetime, min_count: int) -> list[str]:
        """Programmes whose scheduled attempts fill a batch, or whose oldest has waited long enough."""
        rows = await self._conn.fetch(
            "SELECT p.programme FROM payment_attempts a JOIN payments p USING (payment_id)"
            f" WHERE a.batch_id IS NULL AND a.status = {_UNBATCHED} GROUP BY p.programme"
            " HAVING count(*) >= $2 OR min(a.created_at) <= $1",
            older_than,
            min_count,
        )
        return [row["programme"] for row in rows]

    async def take_unbatched(self, programme: str, limit: int) -> list[tuple[Payment, Attempt]]:
        """The programme's oldest scheduled attempts with their payments, locked for the batch being made."""
        rows = await self._conn.fetch(
            f"SELECT {_PAYMENT}, {_ATTEMPT} FROM payment_attempts a JOIN payments p USING (payment_id)"
            f" WHERE a.batch_id IS NULL AND a.status = {_UNBATCHED} AND p.programme = $1"
            " ORDER BY a.created_at, a.payment_id"
            " LIMIT $2 FOR UPDATE OF a SKIP LOCKED",
            programme,
            limit,
        )
        return [(_payment(row), _attempt(row)) for row in rows]

    async def attempt_of(self, payment_id: str, attempt: int) -> tuple[Payment, Attempt] | None:
        """An attempt with its payment, both locked: an operator's decision on it is being applied."""
        row = await self._conn.fetchrow(
            f"SELECT {_PAYMENT}, {_ATTEMPT} FROM payment_attempts a JOIN payments p USING (payment_id)"
            " WHERE a.payment_id = $1 AND a.attempt = $2 FOR UPDATE",
            payment_id,
            attempt,
        )
        return None if row is None else (_payment(row), _attempt(row))

    async def payment(self, payment_id: str) -> Payment | None:
        """A payment, locked: an operator's decision on it is being applied."""
        row = await self._conn.fetchrow(
            f"SELECT {_PAYMENT} FROM payments p WHERE payment_id = $1 FOR UPDATE", payment_id
        )
        return None if row is None else _payment(row)

    async def record_attempt_status(self, attempt: Attempt) -> None:
        await self._conn.execute(
            "UPDATE payment_attempts SET status = $3 WHERE payment_id = $1 AND attempt = $2",
            attempt.payment_id,
            attempt.number,
            attempt.status,
        )

    async def record_blocked(self, attempt: Attempt) -> None:
        """Out of the batcher's queue until an operator releases or cancels it."""
        await self._conn.execute(
            "UPDATE payment_attempts SET status = $3 WHERE payment_id = $1 AND attempt = $2 AND status = $4",
            attempt.payment_id,
            attempt.number,
            attempt.status,
            AttemptState.SCHEDULED,
        )

    async def record_batch(self, batch: Batch, sent: Sequence[tuple[Payment, Attempt]]) -> None:
        """The batch, and its payments and attempts as `sent` (in that state: every attempt in this file)."""
        await self._conn.execute(
            "INSERT INTO batches (batch_id, programme, file_path, file_sha256, transfer_count, control_sum_cents,"
            " requested_execution_date, message_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            batch.batch_id,
            batch.programme,
            batch.file_path,
            batch.file_sha256,
            batch.transfer_count,
            batch.control_sum_cents,
            batch.requested_execution_date,
            batch.message_version,
        )
        await self._conn.execute(
            "UPDATE payment_attempts a SET batch_id = $1, status = $4"
            " FROM unnest($2::text[], $3::int[]) AS t (payment_id, attempt)"
            " WHERE a.payment_id = t.payment_id AND a.attempt = t.attempt",
            batch.batch_id,
            [attempt.payment_id for _, attempt in sent],
            [attempt.number for _, attempt in sent],
            AttemptState.SENT,
        )
        await self._conn.execute(
            "UPDATE payments SET status = $2 WHERE payment_id = ANY($1::text[])",
            [payment.payment_id for payment, _ in sent],
            PaymentState.SENT,
        )

    async def recorded_batches(self, batch_ids: Sequence[str]) -> list[Batch]:
        """Those of these batches that are committed: a file set on disk whose batch is not was never recorded."""
        rows = await self._conn.fetch(
            "SELECT batch_id, programme, file_path, file_sha256, transfer_count, control_sum_cents,"
            " requested_execution_date, message_version FROM batches WHERE batch_id = ANY($1::text[]) ORDER BY 1",
            list(batch_ids),
        )
        return [Batch(**dict(row)) for row in rows]

    async def attempt_for_report(self, payment_id: str, attempt: int) -> tuple[Payment, Attempt] | None:
        """The attempt finance reports on, with its payment, locked until the report is applied."""
        row = await self._conn.fetchrow(
            f"SELECT {_PAYMENT}, {_ATTEMPT} FROM payment_attempts a JOIN payments p USING (payment_id)"
            " WHERE a.payment_id = $1 AND a.attempt = $2 FOR UPDATE OF p",
            payment_id,
            attempt,
        )
        return None if row is None else (_payment(row), _attempt(row))

    async def record_report(self, payment: Payment, attempt: Attempt) -> None:
        """The attempt as finance reported it (settled or returned), and its payment."""
        await self._conn.execute(
            "UPDATE payment_attempts SET status = $3, reported_at = now() WHERE payment_id = $1 AND attempt = $2",
            attempt.payment_id,
            attempt.number,
            attempt.status,
        )
        await self._conn.execute(
            "UPDATE payments SET status = $2, return_reason = $3, returned_at = $4 WHERE payment_id = $1",
            payment.payment_id,
            payment.status,
            payment.return_reason,
            payment.returned_at,
        )

    async def still_sent_in_batch(self, batch_id: str) -> list[tuple[Payment, Attempt]] | None:
        """The attempts of the batch still `sent` (no report on them yet), with their payments, locked while a
        report on the whole batch is applied (a file rejected, one debit for all); None when there is no such batch."""
        known = await self._conn.fetchval("SELECT true FROM batches WHERE batch_id = $1 FOR UPDATE", batch_id)
        if not known:
            return None
        rows = await self._conn.fetch(
            f"SELECT {_PAYMENT}, {_ATTEMPT} FROM payment_attempts a JOIN payments p USING (payment_id)"
            " WHERE a.batch_id = $1 AND a.status = $2 ORDER BY a.payment_id FOR UPDATE OF a, p",
            batch_id,
            AttemptState.SENT,
        )
        return [(_payment(row), _attempt(row)) for row in rows]

    async def record_batch_rejected(self, batch_id: str, reason: str | None, at: dt.datetime) -> None:
        await self._conn.execute(
            "UPDATE batches SET rejected_at = $2, rejection_reason = $3 WHERE batch_id = $1", batch_id, at, reason
        )

    async def record_file_rejection(self, payment: Payment, rejected: Attempt, again: Attempt) -> None:
        """The rejected attempt, and its payment scheduled again with its new attempt."""
        await self._conn.execute(
            "UPDATE payment_attempts SET status = $3, reported_at = now() WHERE payment_id = $1 AND attempt = $2",
            rejected.payment_id,
            rejected.number,
            rejected.status,
        )
        await self.record_retry(payment, again)

    async def returned_payment_of_claim(self, claim_id: str) -> Payment | None:
        row = await self._conn.fetchrow(
            f"SELECT {_PAYMENT} FROM payments p"
            " JOIN payment_attempts a ON a.payment_id = p.payment_id AND a.attempt = p.attempt"
            " WHERE p.claim_id = $1 AND p.status = $2 FOR UPDATE OF p",
            claim_id,
            PaymentState.RETURNED,
        )
        return None if row is None else _payment(row)

    async def record_retry(self, payment: Payment, attempt: Attempt) -> None:
        """The payment scheduled again, with its new attempt."""
        await self._conn.execute(
            "UPDATE payments SET attempt = $2, status = $3, returned_at = $4 WHERE payment_id = $1",
            payment.payment_id,
            payment.attempt,
            payment.status,
            payment.returned_at,
        )
        await self.add_attempts([attempt])

    async def take_expired_returns(self, programme: str, returned_before: dt.datetime, limit: int) -> list[Payment]:
        rows = await self._conn.fetch(
            f"SELECT {_PAYMENT} FROM payments p WHERE programme = $1 AND status = {_RETURNED}"
            " AND NOT expiry_set_aside AND returned_at <= $2 ORDER BY returned_at LIMIT $3 FOR UPDATE SKIP LOCKED",
            programme,
            returned_before,
            limit,
        )
        return [_payment(row) for row in rows]

    async def record_expiry_held(self, payment: Payment) -> None:
        await self._conn.execute(
            "UPDATE payments SET expiry_set_aside = $2 WHERE payment_id = $1",
            payment.payment_id,
            payment.expiry_set_aside,
        )

    async def record_status(self, payment: Payment) -> None:
        await self._conn.execute(
            "UPDATE payments SET status = $2 WHERE payment_id = $1", payment.payment_id, payment.status
        )


def _payment(row: asyncpg.Record) -> Payment:
    return Payment(
        payment_id=row["payment_id"],
        claim_id=row["claim_id"],
        programme=row["programme"],
        siren=row["siren"],
        amount_cents=row["amount_cents"],
        submitted_at=row["submitted_at"],
        status=PaymentState(row["status"]),
        attempt=row["attempt"],
        returned_at=row["returned_at"],
        return_reason=row["return_reason"],
        expiry_set_aside=row["expiry_set_aside"],
        source=row["source"],
    )


def _attempt(row: asyncpg.Record) -> Attempt:
    return Attempt(
        payment_id=row["payment_id"],
        number=row["attempt_number"],
        end_to_end_id=row["end_to_end_id"],
        payee=Payee(row["beneficiary_name"], row["iban"], row["bic"]),
        amount_cents=row["attempt_cents"],
        created_at=row["attempt_created_at"],
        status=AttemptState(row["attempt_status"]),
        batch_id=row["batch_id"],
    )


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """The rows as one list per column: the arrays an unnest() takes (`width` of them, even for no rows)."""
    return [[row[i] for row in rows] for i in range(width)]
