"""Notifications' SQL: contacts, and the e-mails owed, being sent and sent. Each repository works on the connection
of one unit of work (see `unit_of_work.py`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg

from guichet_notifications.domain import Contact, DueEmail, OwedEmail


class ContactsRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def save(self, contacts: Sequence[Contact]) -> None:
        """First contact per claim wins; a rectified one replaces the name and address kept (not an erased one)."""
        # One statement per batch (unnest) rather than one execution per row.
        await self._conn.execute(
            "INSERT INTO contacts (claim_id, programme, email, full_name, iban_last4)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])"
            " ON CONFLICT (claim_id) DO NOTHING",
            *_columns([c for c in contacts if not c.rectified]),
        )
        rectified = {c.claim_id: c for c in contacts if c.rectified}  # the last one of a claim, once per statement
        await self._conn.execute(
            "INSERT INTO contacts AS c (claim_id, programme, email, full_name, iban_last4)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])"
            " ON CONFLICT (claim_id) DO UPDATE SET email = EXCLUDED.email, full_name = EXCLUDED.full_name"
            " WHERE c.email IS NOT NULL",
            *_columns(list(rectified.values())),
        )

    async def erase(self, contact: Iterable[str], bank: Iterable[str]) -> None:
        """Forget the name and address of the `contact` claims, the IBAN's last digits of the `bank` ones."""
        await self._conn.execute(
            "UPDATE contacts SET email = NULL, full_name = NULL WHERE claim_id = ANY($1::text[])", sorted(set(contact))
        )
        await self._conn.execute(
            "UPDATE contacts SET iban_last4 = NULL WHERE claim_id = ANY($1::text[])", sorted(set(bank))
        )

    async def held(self, claim_ids: Iterable[str]) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            "SELECT claim_id, programme, email, full_name, iban_last4, received_at FROM contacts"
            " WHERE claim_id = ANY($1::text[]) ORDER BY claim_id",
            sorted(set(claim_ids)),
        )
        return [dict(row) for row in rows]


def _columns(contacts: Sequence[Contact]) -> list[list[str | None]]:
    return [
        [c.claim_id for c in contacts],
        [c.programme for c in contacts],
        [c.email for c in contacts],
        [c.full_name for c in contacts],
        [c.iban_last4 for c in contacts],
    ]


class EmailsRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def owe(self, emails: Sequence[OwedEmail]) -> set[tuple[str, str]]:
        """Record that these e-mails are owed; return the (claim_id, kind) pairs that were not already (one e-mail
        per claim and kind, ever)."""
        if not emails:
            return set()
        rows = await self._conn.fetch(
            "INSERT INTO emails (claim_id, kind, programme, reasons, amount_cents, details)"
            " SELECT e.claim_id, e.kind, e.programme, r.reasons, e.amount_cents, $7::jsonb -> e.position"
            " FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[])"
            "      AS e (claim_id, kind, programme, position, amount_cents)"
            " JOIN LATERAL (SELECT coalesce(array_agg(reason), '{}') AS reasons"
            "               FROM jsonb_array_elements_text($6::jsonb -> e.position) AS reason) r ON true"
            " ON CONFLICT (claim_id, kind) DO NOTHING RETURNING claim_id, kind",
            [e.claim_id for e in emails],
            [e.kind for e in emails],
            [e.programme for e in emails],
            list(range(len(emails))),
            [e.amount_cents for e in emails],
            [list(e.reasons) for e in emails],  # arrays of different lengths cannot be unnested, a JSON list can
            [dict(e.details) for e in emails],
        )
        return {(row["claim_id"], row["kind"]) for row in rows}

    async def take_ready(self, limit: int) -> list[DueEmail]:
        """Mark up to `limit` due e-mails whose contact is known as 'sending' and return them with the contact."""
        rows = await self._conn.fetch(
            "WITH due AS ("
            "  SELECT e.claim_id, e.kind FROM emails e JOIN contacts c USING (claim_id)"
            "  WHERE e.state = 'pending' AND e.next_attempt_at <= now() AND c.email IS NOT NULL"
            "  ORDER BY e.next_attempt_at LIMIT $1 FOR UPDATE OF e SKIP LOCKED)"
            " UPDATE emails e SET state = 'sending', attempts = e.attempts + 1"
            " FROM due, contacts c WHERE e.claim_id = due.claim_id AND e.kind = due.kind AND c.claim_id = e.claim_id"
            " RETURNING e.id, e.claim_id, e.kind, e.programme, e.reasons, e.amount_cents, e.attempts,"
            " c.email, c.full_name, c.iban_last4, e.details",
            limit,
        )
        return [
            DueEmail(
                id=row["id"],
                claim_id=row["claim_id"],
                kind=row["kind"],
                programme=row["programme"],
                reasons=tuple(row["reasons"]),
                amount_cents=row["amount_cents"],
                attempts=row["attempts"],
                email=row["email"],
                full_name=row["full_name"],
                iban_last4=row["iban_last4"],
                details=dict(row["details"] or {}),  # the pool decodes jsonb
            )
            for row in rows
        ]

    async def mark_sent(self, sent: Sequence[tuple[str, str, str]]) -> None:
        """`sent`: (claim_id, kind, message_id) of each e-mail the server accepted."""
        await self._conn.execute(
            "UPDATE emails e SET state = 'sent', sent_at = now(), message_id = s.message_id, last_error = NULL"
            " FROM unnest($1::text[], $2::text[], $3::text[]) AS s (claim_id, kind, message_id)"
            " WHERE e.claim_id = s.claim_id AND e.kind = s.kind",
            *([row[i] for row in sent] for i in range(3)),
        )

    async def mark_for_retry(self, claim_id: str, kind: str, error: str, delay_s: float) -> None:
        await self._conn.execute(
            "UPDATE emails SET state = 'pending', last_error = $3,"
            " next_attempt_at = now() + make_interval(secs => $4) WHERE claim_id = $1 AND kind = $2",
            claim_id,
            kind,
            error,
            delay_s,
        )

    async def mark_failed(self, email_id: int, reason: str) -> None:
        """Set aside: the sender skips it until an operator releases or cancels it."""
        await self._conn.execute("UPDATE emails SET state = 'failed', last_error = $2 WHERE id = $1", email_id, reason)

    async def unaddress(self, claim_ids: Iterable[str]) -> int:
        """The claims' contacts are erased: their e-mails not sent yet never will be ('unaddressed'), and no error
        text of theirs is kept. Returns how many e-mails will not be sent."""
        ids = sorted(set(claim_ids))
        await self._conn.execute("UPDATE emails SET last_error = NULL WHERE claim_id = ANY($1::text[])", ids)
        count: int = await self._conn.fetchval(
            "WITH u AS (UPDATE emails SET state = 'unaddressed' WHERE claim_id = ANY($1::text[])"
            "  AND state IN ('pending', 'failed') RETURNING 1) SELECT count(*) FROM u",
            ids,
        )
        return count

    async def held(self, claim_ids: Iterable[str]) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            "SELECT id, claim_id, kind, programme, reasons, amount_cents, details, state, attempts, last_error,"
            " message_id, created_at, sent_at FROM emails WHERE claim_id = ANY($1::text[])"
            " ORDER BY claim_id, created_at, kind",
            sorted(set(claim_ids)),
        )
        return [dict(row) for row in rows]

    async def count_uncertain(self) -> int:
        count: int = await self._conn.fetchval("SELECT count(*) FROM emails WHERE state = 'sending'")
        return count
