"""The rows behind `guichet finance reconcile --csv/--xlsx`: one per batch and one per payment, read in the same
repeatable-read snapshot as the reconciliation's figures and checks, so an accountant's sheets and the report's
totals describe one moment.

Read-only. No IBAN and no name leave here: a payment is its ids, its company's SIREN, its amount and dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import asyncpg

from guichet_payments.reconcile import Report, reconcile


@dataclass(frozen=True)
class BatchRow:
    batch_id: str
    programme: str
    message_version: str  # pain.001.001.03 or pain.001.001.09
    execution_date: dt.date  # the requested execution date written in the file
    created_at: dt.datetime
    transfer_count: int
    control_sum_cents: int
    settled: int
    returned: int
    rejected: int  # attempts a bank's status report rejected (the payment went into a new file)
    outstanding: int  # attempts still `sent`: the bank has said nothing of them yet
    file_sha256: str


@dataclass(frozen=True)
class PaymentRow:
    payment_id: str
    claim_id: str
    programme: str
    siren: str
    amount_cents: int
    status: str
    attempts: int
    scheduled_at: dt.datetime  # when the payment was first scheduled
    sent_at: dt.datetime | None  # when its last attempt's file was written
    settled_at: dt.datetime | None  # when the bank's report that its last attempt was paid came in
    returned_at: dt.datetime | None
    return_code: str | None
    batch_id: str | None  # the file of its last attempt


@dataclass(frozen=True)
class RecoveryOrderRow:
    order_id: str
    claim_id: str
    payment_id: str
    programme: str
    siren: str
    reason_code: str
    amount_cents: int
    repaid_cents: int  # the sum of its repayments (the reconciliation checks they agree)
    repayments: int
    returned_to_envelope_cents: int
    state: str  # outstanding, settled, in_collection
    payment_reference: str
    issued_on: dt.date | None
    due_on: dt.date | None
    settled_at: dt.datetime | None
    collection_at: dt.datetime | None


@dataclass(frozen=True)
class ReconciliationRows:
    report: Report  # what `guichet reconcile` prints: per-programme figures and the checks
    batches: list[BatchRow]
    payments: list[PaymentRow]
    recovery_orders: list[RecoveryOrderRow] = field(default_factory=list)


async def batch_rows(conn: asyncpg.Connection) -> list[BatchRow]:
    rows = await conn.fetch(
        "SELECT b.batch_id, b.programme, b.message_version, b.requested_execution_date AS execution_date,"
        " b.created_at, b.transfer_count, b.control_sum_cents, trim(b.file_sha256) AS file_sha256,"
        " count(a.payment_id) FILTER (WHERE a.status = 'settled') AS settled,"
        " count(a.payment_id) FILTER (WHERE a.status = 'returned') AS returned,"
        " count(a.payment_id) FILTER (WHERE a.status = 'rejected') AS rejected,"
        " count(a.payment_id) FILTER (WHERE a.status = 'sent') AS outstanding"
        " FROM batches b LEFT JOIN payment_attempts a ON a.batch_id = b.batch_id"
        " GROUP BY b.batch_id ORDER BY b.created_at, b.batch_id"
    )
    return [BatchRow(**dict(row)) for row in rows]


async def payment_rows(conn: asyncpg.Connection) -> list[PaymentRow]:
    rows = await conn.fetch(
        "SELECT p.payment_id, p.claim_id, p.programme, p.siren, p.amount_cents, p.status, p.attempt AS attempts,"
        " p.created_at AS scheduled_at, b.created_at AS sent_at,"
        " CASE WHEN a.status = 'settled' THEN a.reported_at END AS settled_at,"
        " p.returned_at, p.return_reason AS return_code, a.batch_id"
        " FROM payments p"
        " LEFT JOIN payment_attempts a ON a.payment_id = p.payment_id AND a.attempt = p.attempt"
        " LEFT JOIN batches b ON b.batch_id = a.batch_id"
        " ORDER BY p.programme, p.created_at, p.payment_id"
    )
    return [PaymentRow(**dict(row)) for row in rows]


async def recovery_order_rows(conn: asyncpg.Connection) -> list[RecoveryOrderRow]:
    rows = await conn.fetch(
        "SELECT o.order_id, o.claim_id, o.payment_id, o.programme, trim(o.siren) AS siren, o.reason_code,"
        " o.amount_cents, o.repaid_cents, count(r.bank_entry) AS repayments,"
        " coalesce(sum(r.amount_cents) FILTER (WHERE r.returned_to_envelope), 0)::bigint AS returned_to_envelope_cents,"
        " o.state, o.payment_reference, o.issued_on, o.due_on, o.settled_at, o.collection_at"
        " FROM recovery_orders o LEFT JOIN repayments r USING (order_id)"
        " GROUP BY o.order_id ORDER BY o.programme, o.issued_at, o.order_id"
    )
    return [RecoveryOrderRow(**dict(row)) for row in rows]


async def reconcile_with_rows(database_url: str) -> ReconciliationRows:
    """The reconciliation and its export rows, from one repeatable-read, read-only snapshot."""
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            report = await reconcile(conn)
            return ReconciliationRows(
                report, await batch_rows(conn), await payment_rows(conn), await recovery_order_rows(conn)
            )
    finally:
        await conn.close()
