"""The SQL of bank entries in suspense and of finance's decisions on them (`bank_files.suspense`): which entry a
settlement event came from, holding an entry, reading one to decide on it, finding its attempt again, and storing
the decision."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import asyncpg

SUSPENSE = "suspense"
# The attempts a bank entry may still be about: in a file, booked, or returned (a camt.053 repeating a return).
_REPORTABLE = ("sent", "settled", "returned")


@dataclass(frozen=True)
class HeldEntry:
    """A bank entry as imported, with what became of it (`state`)."""

    entry_id: str
    effect: str
    state: str
    end_to_end_id: str | None
    batch_reference: str | None
    amount_cents: int | None
    iban: str | None
    remittance: str | None
    reason_code: str | None
    bank_reference: str | None
    payment_id: str | None
    attempt: int | None


@dataclass(frozen=True)
class EntryDecision:
    """An operator's decision on an entry in suspense: `settled` (to an attempt, or by its own references) or
    `discarded`, by whom, why and when (as the set-aside decision recorded them)."""

    state: str
    decided_by: str
    decision_reason: str
    decided_at: dt.datetime
    payment_id: str | None = None
    attempt: int | None = None
    matched_by: str | None = None
    settlement_event_id: uuid.UUID | None = None


class SuspenseRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def entry_of_settlement(self, event_id: uuid.UUID) -> str | None:
        """The bank entry a settlement event was made from (None: finance's own JSON report)."""
        found: str | None = await self._conn.fetchval(
            "SELECT entry_id FROM bank_entries WHERE settlement_event_id = $1", event_id
        )
        return found

    async def hold(self, entry_id: str, reason: str) -> None:
        await self._conn.execute(
            "UPDATE bank_entries SET state = $2, suspense_reason = $3 WHERE entry_id = $1", entry_id, SUSPENSE, reason
        )

    async def entry(self, entry_id: str) -> HeldEntry | None:
        """The entry, locked while a decision on it is applied."""
        row = await self._conn.fetchrow(
            "SELECT entry_id, effect, state, end_to_end_id, batch_reference, amount_cents, iban, remittance,"
            " reason_code, bank_reference, payment_id, attempt FROM bank_entries WHERE entry_id = $1 FOR UPDATE",
            entry_id,
        )
        return None if row is None else HeldEntry(**dict(row))

    async def attempt_by_end_to_end_id(self, end_to_end_id: str) -> tuple[str, int] | None:
        row = await self._conn.fetchrow(
            "SELECT payment_id, attempt FROM payment_attempts WHERE end_to_end_id = $1", end_to_end_id
        )
        return None if row is None else (row["payment_id"], row["attempt"])

    async def attempts_by_amount_and_account(
        self, amount_cents: int, iban: str, remittance: str | None
    ) -> list[tuple[str, int]]:
        """Attempts of that amount to that account (and, when the bank repeats our remittance, of that claim)."""
        rows = await self._conn.fetch(
            "SELECT a.payment_id, a.attempt FROM payment_attempts a JOIN payments p USING (payment_id)"
            " WHERE upper(replace(a.iban, ' ', '')) = $2 AND a.amount_cents = $1 AND a.status = ANY($4::text[])"
            " AND ($3::text IS NULL OR strpos($3, p.claim_id) > 0) ORDER BY a.payment_id, a.attempt LIMIT 2",
            amount_cents,
            iban,
            remittance,
            list(_REPORTABLE),
        )
        return [(row["payment_id"], row["attempt"]) for row in rows]

    async def decision(self, kind: str, entry_id: str) -> tuple[str, str, dt.datetime] | None:
        """Who decided on the set-aside item, why and when: recorded just before, in this transaction."""
        row = await self._conn.fetchrow(
            "SELECT decided_by, decision_reason, decided_at FROM set_aside_items WHERE kind = $1 AND item_id = $2",
            kind,
            entry_id,
        )
        if row is None or row["decided_by"] is None:
            return None
        return row["decided_by"], row["decision_reason"] or "", row["decided_at"]

    async def record_decision(self, entry_id: str, decision: EntryDecision) -> None:
        await self._conn.execute(
            "UPDATE bank_entries SET state = $2, decided_by = $3, decision_reason = $4, decided_at = $5,"
            " payment_id = coalesce($6, payment_id), attempt = coalesce($7, attempt),"
            " matched_by = coalesce($8, matched_by), settlement_event_id = coalesce($9, settlement_event_id)"
            " WHERE entry_id = $1",
            entry_id,
            decision.state,
            decision.decided_by,
            decision.decision_reason,
            decision.decided_at,
            decision.payment_id,
            decision.attempt,
            decision.matched_by,
            decision.settlement_event_id,
        )
