"""Payments' SQL: the envelope, payments and their attempts, SEPA batches and the waitlist."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg


async def ensure_budget(conn: asyncpg.Connection, programme: str, total_cents: int) -> None:
    await conn.execute(
        "INSERT INTO budgets (programme, total_cents) VALUES ($1, $2) ON CONFLICT (programme) DO NOTHING",
        programme,
        total_cents,
    )


async def try_reserve(conn: asyncpg.Connection, programme: str, amount_cents: int) -> bool:
    """Reserve atomically; False when the envelope cannot cover the amount (nothing changes then)."""
    reserved = await conn.fetchval(
        "UPDATE budgets SET reserved_cents = reserved_cents + $2"
        " WHERE programme = $1 AND reserved_cents + $2 <= total_cents RETURNING reserved_cents",
        programme,
        amount_cents,
    )
    return reserved is not None


async def available_cents_locked(conn: asyncpg.Connection, programmes: list[str]) -> dict[str, int]:
    """Each envelope's money not yet reserved, its row locked until the transaction ends (instances queue here)."""
    rows = await conn.fetch(
        "SELECT programme, total_cents - reserved_cents AS available FROM budgets"
        " WHERE programme = ANY($1::text[]) ORDER BY programme FOR UPDATE",
        programmes,
    )
    return {row["programme"]: row["available"] for row in rows}


async def reserve(conn: asyncpg.Connection, programme: str, amount_cents: int) -> None:
    """Reserve what `available_cents_locked` showed to be there; the CHECK on budgets is the last guard."""
    await conn.execute(
        "UPDATE budgets SET reserved_cents = reserved_cents + $2 WHERE programme = $1", programme, amount_cents
    )


async def release(conn: asyncpg.Connection, programme: str, amount_cents: int) -> None:
    await conn.execute(
        "UPDATE budgets SET reserved_cents = reserved_cents - $2, released_cents = released_cents + $2"
        " WHERE programme = $1",
        programme,
        amount_cents,
    )


async def company_already_served(conn: asyncpg.Connection, programme: str, siren: str) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM payments WHERE programme = $1 AND siren = $2)"
            " OR EXISTS (SELECT 1 FROM waitlist WHERE programme = $1 AND siren = $2)",
            programme,
            siren,
        )
    )


async def companies_already_served(conn: asyncpg.Connection, companies: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (programme, SIREN) pairs already have a payment or a place in line."""
    rows = await conn.fetch(
        "WITH wanted (programme, siren) AS (SELECT * FROM unnest($1::text[], $2::bpchar[]))"
        " SELECT programme, siren FROM payments JOIN wanted USING (programme, siren)"
        " UNION SELECT programme, siren FROM waitlist JOIN wanted USING (programme, siren)",
        [programme for programme, _ in companies],
        [siren for _, siren in companies],
    )
    return {(row["programme"], row["siren"]) for row in rows}


async def programmes_with_waitlist(conn: asyncpg.Connection, programmes: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT DISTINCT programme FROM waitlist WHERE programme = ANY($1::text[])", programmes)
    return {row["programme"] for row in rows}


async def add_to_waitlist(conn: asyncpg.Connection, entries: list[dict[str, Any]]) -> None:
    """Entries with claim_id, programme, siren, submitted_at and decision (the approval, kept to pay it later)."""
    await conn.executemany(
        "INSERT INTO waitlist (claim_id, programme, siren, submitted_at, decision) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (claim_id) DO NOTHING",
        [(e["claim_id"], e["programme"], e["siren"], e["submitted_at"], e["decision"]) for e in entries],
    )


async def oldest_waiting(conn: asyncpg.Connection, programme: str) -> asyncpg.Record | None:
    """The first claim in line (submission order), locked so two instances never promote it twice."""
    return await conn.fetchrow(
        "SELECT claim_id, decision FROM waitlist WHERE programme = $1"
        " ORDER BY submitted_at, claim_id LIMIT 1 FOR UPDATE SKIP LOCKED",
        programme,
    )


async def leave_waitlist(conn: asyncpg.Connection, claim_id: str) -> None:
    await conn.execute("DELETE FROM waitlist WHERE claim_id = $1", claim_id)


async def insert_payments(conn: asyncpg.Connection, payments: list[dict[str, Any]]) -> None:
    # One statement per batch (unnest) rather than one execution per row.
    await conn.execute(
        "INSERT INTO payments (payment_id, claim_id, programme, siren, amount_cents, submitted_at, status)"
        " SELECT *, 'scheduled' FROM unnest($1::text[], $2::text[], $3::text[], $4::bpchar[], $5::bigint[],"
        " $6::timestamptz[])",
        *_columns(payments, "payment_id", "claim_id", "programme", "siren", "amount_cents", "submitted_at"),
    )


async def insert_attempts(conn: asyncpg.Connection, attempts: list[dict[str, Any]]) -> None:
    # created_at comes from the service's clock: batches close by age on that clock.
    await conn.execute(
        "INSERT INTO payment_attempts (payment_id, attempt, end_to_end_id, beneficiary_name, iban, bic,"
        " amount_cents, created_at, status) SELECT *, 'scheduled' FROM unnest($1::text[], $2::int[], $3::text[],"
        " $4::text[], $5::text[], $6::text[], $7::bigint[], $8::timestamptz[])",
        *_columns(
            attempts,
            "payment_id",
            "attempt",
            "end_to_end_id",
            "beneficiary_name",
            "iban",
            "bic",
            "amount_cents",
            "created_at",
        ),
    )


async def programmes_with_unbatched(conn: asyncpg.Connection, older_than: dt.datetime, min_count: int) -> list[str]:
    """Programmes whose scheduled attempts fill a batch, or whose oldest has waited long enough."""
    rows = await conn.fetch(
        "SELECT p.programme FROM payment_attempts a JOIN payments p USING (payment_id)"
        " WHERE a.batch_id IS NULL AND a.status = 'scheduled' GROUP BY p.programme"
        " HAVING count(*) >= $2 OR min(a.created_at) <= $1",
        older_than,
        min_count,
    )
    return [row["programme"] for row in rows]


async def take_unbatched(conn: asyncpg.Connection, programme: str, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT a.payment_id, a.attempt, a.end_to_end_id, a.beneficiary_name, a.iban, a.bic, a.amount_cents,"
        " p.claim_id, p.siren FROM payment_attempts a JOIN payments p USING (payment_id)"
        " WHERE a.batch_id IS NULL AND a.status = 'scheduled' AND p.programme = $1"
        " ORDER BY a.created_at, a.payment_id"
        " LIMIT $2 FOR UPDATE OF a SKIP LOCKED",
        programme,
        limit,
    )


async def block_attempt(conn: asyncpg.Connection, payment_id: str, attempt: int) -> None:
    """Out of the batcher's queue until an operator releases or cancels it."""
    await conn.execute(
        "UPDATE payment_attempts SET status = 'blocked'"
        " WHERE payment_id = $1 AND attempt = $2 AND status = 'scheduled'",
        payment_id,
        attempt,
    )


async def record_batch(conn: asyncpg.Connection, b: dict[str, Any], attempts: list[tuple[str, int]]) -> None:
    await conn.execute(
        "INSERT INTO batches (batch_id, programme, file_path, file_sha256, transfer_count, control_sum_cents,"
        " requested_execution_date) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        b["batch_id"],
        b["programme"],
        b["file_path"],
        b["file_sha256"],
        b["transfer_count"],
        b["control_sum_cents"],
        b["requested_execution_date"],
    )
    await conn.execute(
        "UPDATE payment_attempts a SET batch_id = $1, status = 'sent'"
        " FROM unnest($2::text[], $3::int[]) AS t (payment_id, attempt)"
        " WHERE a.payment_id = t.payment_id AND a.attempt = t.attempt",
        b["batch_id"],
        [payment_id for payment_id, _ in attempts],
        [attempt for _, attempt in attempts],
    )
    await conn.execute(
        "UPDATE payments SET status = 'sent' WHERE payment_id = ANY($1::text[])",
        [payment_id for payment_id, _ in attempts],
    )


async def attempt_for_report(conn: asyncpg.Connection, payment_id: str, attempt: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT a.status AS attempt_status, a.amount_cents, p.attempt AS current_attempt, p.claim_id, p.programme,"
        " p.siren, p.status FROM payment_attempts a JOIN payments p USING (payment_id)"
        " WHERE a.payment_id = $1 AND a.attempt = $2 FOR UPDATE OF p",
        payment_id,
        attempt,
    )


async def mark_settled(conn: asyncpg.Connection, payment_id: str, attempt: int, programme: str, amount: int) -> None:
    await conn.execute(
        "UPDATE payment_attempts SET status = 'settled', reported_at = now() WHERE payment_id = $1 AND attempt = $2",
        payment_id,
        attempt,
    )
    await conn.execute("UPDATE payments SET status = 'settled' WHERE payment_id = $1", payment_id)
    await conn.execute("UPDATE budgets SET paid_cents = paid_cents + $2 WHERE programme = $1", programme, amount)


async def mark_returned(
    conn: asyncpg.Connection, payment_id: str, attempt: int, reason: str | None, returned_at: dt.datetime
) -> None:
    await conn.execute(
        "UPDATE payment_attempts SET status = 'returned', reported_at = now() WHERE payment_id = $1 AND attempt = $2",
        payment_id,
        attempt,
    )
    await conn.execute(
        "UPDATE payments SET status = 'returned', return_reason = $2, returned_at = $3 WHERE payment_id = $1",
        payment_id,
        reason,
        returned_at,
    )


async def returned_payment_of_claim(conn: asyncpg.Connection, claim_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT p.payment_id, p.attempt, p.programme, p.siren, p.amount_cents, a.beneficiary_name, a.bic"
        " FROM payments p JOIN payment_attempts a ON a.payment_id = p.payment_id AND a.attempt = p.attempt"
        " WHERE p.claim_id = $1 AND p.status = 'returned' FOR UPDATE OF p",
        claim_id,
    )


async def start_new_attempt(conn: asyncpg.Connection, payment_id: str, attempt: int) -> None:
    await conn.execute(
        "UPDATE payments SET attempt = $2, status = 'scheduled', returned_at = NULL WHERE payment_id = $1",
        payment_id,
        attempt,
    )


async def take_expired_returns(
    conn: asyncpg.Connection, programme: str, returned_before: dt.datetime, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT payment_id, claim_id, amount_cents FROM payments WHERE programme = $1 AND status = 'returned'"
        " AND NOT expiry_set_aside AND returned_at <= $2 ORDER BY returned_at LIMIT $3 FOR UPDATE SKIP LOCKED",
        programme,
        returned_before,
        limit,
    )


async def set_expiry_aside(conn: asyncpg.Connection, payment_id: str) -> None:
    await conn.execute("UPDATE payments SET expiry_set_aside = true WHERE payment_id = $1", payment_id)


async def mark_released(conn: asyncpg.Connection, payment_id: str) -> None:
    await conn.execute("UPDATE payments SET status = 'released' WHERE payment_id = $1", payment_id)


def _columns(rows: list[dict[str, Any]], *names: str) -> list[list[Any]]:
    """The rows as one list per column, in `names` order: the arrays an unnest() INSERT takes."""
    return [[row[name] for row in rows] for name in names]
