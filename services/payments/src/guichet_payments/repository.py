"""Payments' SQL: the envelope, payments and the waitlist."""

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


async def company_already_has_payment(conn: asyncpg.Connection, programme: str, siren: str) -> bool:
    return bool(
        await conn.fetchval("SELECT 1 FROM payments WHERE programme = $1 AND siren = $2", programme, siren)
    ) or bool(await conn.fetchval("SELECT 1 FROM waitlist WHERE programme = $1 AND siren = $2", programme, siren))


async def insert_payment(conn: asyncpg.Connection, **payment: Any) -> None:
    await conn.execute(
        "INSERT INTO payments (payment_id, claim_id, programme, siren, amount_cents, beneficiary_name, iban, bic,"
        " attempt, batch_id, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        payment["payment_id"],
        payment["claim_id"],
        payment["programme"],
        payment["siren"],
        payment["amount_cents"],
        payment["beneficiary_name"],
        payment["iban"],
        payment["bic"],
        payment["attempt"],
        payment["batch_id"],
        payment["status"],
    )


async def add_to_waitlist(
    conn: asyncpg.Connection,
    *,
    claim_id: str,
    programme: str,
    siren: str,
    submitted_at: dt.datetime,
    decision: dict[str, Any],
) -> None:
    await conn.execute(
        "INSERT INTO waitlist (claim_id, programme, siren, submitted_at, decision) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (claim_id) DO NOTHING",
        claim_id,
        programme,
        siren,
        submitted_at,
        decision,
    )
