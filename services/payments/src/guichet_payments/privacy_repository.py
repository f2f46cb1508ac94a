"""Payments' SQL for personal data: pseudonymising a claim's bank data where its accounting rows must stay, the
batches whose every claim is erased (their pain.001 can go), and what payments holds about claims (an export)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

# The tables an export reads, with the columns that hold bank data (NULL once erased).
BANK_COLUMNS = {
    "payments": (),
    "payment_attempts": ("beneficiary_name", "iban", "bic"),
    "waitlist": ("decision.beneficiary_name", "decision.iban", "decision.bic"),
    "bank_entries": ("iban",),
}


@dataclass(frozen=True)
class HeldRow:
    """One row payments holds about a claim, as stored (sealed values sealed, erased ones NULL)."""

    table: str
    claim_id: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class ErasedBatch:
    batch_id: str
    file_path: str


class PrivacyRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def pseudonymise_bank(self, claim_ids: Sequence[str]) -> list[str]:
        """Set the holder's name, IBAN and BIC to NULL wherever payments keeps them for these claims (attempts, the
        bank's entries matched to them, and waiting approvals still in clear from before sealing: sealed ones are
        unreadable once their key is gone); amounts, ids, dates and codes stay. Returns the batches of their
        attempts."""
        if not claim_ids:
            return []
        rows = await self._conn.fetch(
            "WITH erased AS (SELECT payment_id FROM payments WHERE claim_id = ANY($1::text[])),"
            " attempts AS (UPDATE payment_attempts a SET beneficiary_name = NULL, iban = NULL, bic = NULL"
            "  FROM erased e WHERE a.payment_id = e.payment_id RETURNING a.batch_id),"
            " entries AS (UPDATE bank_entries b SET iban = NULL"
            "  FROM erased e WHERE b.payment_id = e.payment_id AND b.iban IS NOT NULL RETURNING 1),"
            " waiting AS (UPDATE waitlist SET iban_fingerprint = NULL, decision = decision"
            "  || CASE WHEN decision->>'iban' LIKE 'sealed:%' THEN '{}'::jsonb"
            '  ELSE \'{"beneficiary_name": null, "iban": null, "bic": null}\'::jsonb END'
            "  WHERE claim_id = ANY($1::text[]) RETURNING 1)"
            # PostgreSQL runs every data-modifying WITH once, read or not.
            " SELECT DISTINCT batch_id FROM attempts WHERE batch_id IS NOT NULL ORDER BY batch_id",
            list(claim_ids),
        )
        return [row["batch_id"] for row in rows]

    async def batches_fully_erased(self, batch_ids: Sequence[str]) -> list[ErasedBatch]:
        """Among `batch_ids`, those whose file is still on disk and whose every attempt's claim had its bank data
        erased (recorded in privacy_erasures, this transaction's records included)."""
        if not batch_ids:
            return []
        rows = await self._conn.fetch(
            "SELECT b.batch_id, b.file_path FROM batches b"
            " WHERE b.batch_id = ANY($1::text[]) AND b.file_erased_at IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM payment_attempts a JOIN payments p USING (payment_id)"
            "  WHERE a.batch_id = b.batch_id AND NOT EXISTS (SELECT 1 FROM privacy_erasures e"
            "   WHERE e.claim_id = p.claim_id AND e.kind = 'bank'))"
            " ORDER BY b.batch_id",
            list(batch_ids),
        )
        return [ErasedBatch(row["batch_id"], row["file_path"]) for row in rows]

    async def record_file_erased(self, batch_ids: Sequence[str], at: dt.datetime) -> None:
        await self._conn.execute(
            "UPDATE batches SET file_erased_at = $2 WHERE batch_id = ANY($1::text[]) AND file_erased_at IS NULL",
            list(batch_ids),
            at,
        )

    async def held(self, claim_ids: Sequence[str]) -> list[HeldRow]:
        """Every row about these claims, table by table, in a stable order."""
        wanted = sorted(set(claim_ids))
        if not wanted:
            return []
        queries = {
            "payments": "SELECT claim_id, payment_id, programme, siren, amount_cents, status, attempt, submitted_at,"
            " returned_at, return_reason, created_at, source FROM payments WHERE claim_id = ANY($1::text[])"
            " ORDER BY claim_id",
            "payment_attempts": "SELECT p.claim_id, a.payment_id, a.attempt, a.end_to_end_id, a.beneficiary_name,"
            " a.iban, a.bic, a.amount_cents, a.status, a.batch_id, a.created_at, a.reported_at"
            " FROM payment_attempts a JOIN payments p USING (payment_id) WHERE p.claim_id = ANY($1::text[])"
            " ORDER BY p.claim_id, a.attempt",
            "waitlist": "SELECT claim_id, programme, siren, submitted_at, queued_at,"
            " decision->>'beneficiary_name' AS beneficiary_name, decision->>'iban' AS iban,"
            " decision->>'bic' AS bic FROM waitlist WHERE claim_id = ANY($1::text[]) ORDER BY claim_id",
            "bank_entries": "SELECT p.claim_id, e.entry_id, e.effect, e.end_to_end_id, e.amount_cents, e.iban,"
            " e.reason_code, e.value_date, e.state, e.payment_id, e.attempt"
            " FROM bank_entries e JOIN payments p USING (payment_id) WHERE p.claim_id = ANY($1::text[])"
            " ORDER BY p.claim_id, e.entry_id",
        }
        held: list[HeldRow] = []
        for table, query in queries.items():
            for row in await self._conn.fetch(query, wanted):
                fields = dict(row)
                held.append(HeldRow(table, fields.pop("claim_id"), fields))
        return held
