"""Notifications' SQL: contacts, and the e-mails owed, being sent and sent."""

from __future__ import annotations

from typing import Any

import asyncpg


async def save_contact(conn: asyncpg.Connection, contact: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO contacts (claim_id, programme, email, full_name, iban_last4) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (claim_id) DO NOTHING",
        contact["claim_id"],
        contact["programme"],
        contact["email"],
        contact["full_name"],
        contact.get("iban_last4"),
    )


async def owe_email(
    conn: asyncpg.Connection, *, claim_id: str, kind: str, programme: str, reasons: list[str], amount_cents: int | None
) -> bool:
    """Record that this e-mail is owed; False when it already was (one per claim and kind, ever)."""
    inserted = await conn.fetchval(
        "INSERT INTO emails (claim_id, kind, programme, reasons, amount_cents) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (claim_id, kind) DO NOTHING RETURNING 1",
        claim_id,
        kind,
        programme,
        reasons,
        amount_cents,
    )
    return inserted is not None


async def take_ready_emails(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Mark up to `limit` due e-mails whose contact is known as 'sending' and return them with the contact."""
    return await conn.fetch(
        "WITH due AS ("
        "  SELECT e.claim_id, e.kind FROM emails e JOIN contacts c USING (claim_id)"
        "  WHERE e.state = 'pending' AND e.next_attempt_at <= now()"
        "  ORDER BY e.next_attempt_at LIMIT $1 FOR UPDATE OF e SKIP LOCKED)"
        " UPDATE emails e SET state = 'sending', attempts = e.attempts + 1"
        " FROM due, contacts c WHERE e.claim_id = due.claim_id AND e.kind = due.kind AND c.claim_id = e.claim_id"
        " RETURNING e.claim_id, e.kind, e.programme, e.reasons, e.amount_cents, e.attempts,"
        " c.email, c.full_name, c.iban_last4",
        limit,
    )


async def mark_sent(conn: asyncpg.Connection, claim_id: str, kind: str, message_id: str) -> None:
    await conn.execute(
        "UPDATE emails SET state = 'sent', sent_at = now(), message_id = $3, last_error = NULL"
        " WHERE claim_id = $1 AND kind = $2",
        claim_id,
        kind,
        message_id,
    )


async def mark_for_retry(conn: asyncpg.Connection, claim_id: str, kind: str, error: str, delay_s: float) -> None:
    await conn.execute(
        "UPDATE emails SET state = 'pending', last_error = $3,"
        " next_attempt_at = now() + make_interval(secs => $4) WHERE claim_id = $1 AND kind = $2",
        claim_id,
        kind,
        error,
        delay_s,
    )


async def mark_failed(conn: asyncpg.Connection, claim_id: str, kind: str, error: str) -> None:
    await conn.execute(
        "UPDATE emails SET state = 'failed', last_error = $3 WHERE claim_id = $1 AND kind = $2",
        claim_id,
        kind,
        error,
    )


async def count_uncertain(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) FROM emails WHERE state = 'sending'")
