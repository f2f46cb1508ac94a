"""SQL for the bank's files: the files and entries imported, the suspense list, and the attempts entries are
matched against."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg

from guichet_payments.bank_files.matching import Candidate
from guichet_payments.bank_files.reading import BankEntry
from guichet_payments.bank_files.records import BankFileRecord, SuspenseEntry, masked_iban

_CANDIDATE = (
    "SELECT a.payment_id, a.attempt, a.end_to_end_id, p.claim_id, a.amount_cents, a.iban, a.status, a.batch_id"
    " FROM payment_attempts a JOIN payments p USING (payment_id)"
)


class BankFilesRepository:
    """`bank_files` and `bank_entries`, and the attempts their entries are matched against."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def file(self, file_sha256: str) -> BankFileRecord | None:
        """The file with this SHA-256, with how many of its entries are in each state; None if never seen."""
        row = await self._conn.fetchrow(
            "SELECT file_sha256, file_name, message, message_id, outcome, refusal, received_at, entry_count"
            " FROM bank_files WHERE file_sha256 = $1",
            file_sha256,
        )
        if row is None:
            return None
        counts = await self._conn.fetch(
            "SELECT state, count(*) AS n FROM bank_entries WHERE file_sha256 = $1 GROUP BY state", file_sha256
        )
        return BankFileRecord(**dict(row), counts={count["state"]: count["n"] for count in counts})

    async def record_file(
        self,
        file_sha256: str,
        file_name: str,
        received_at: dt.datetime,
        *,
        message: str | None = None,
        message_id: str | None = None,
        refusal: str | None = None,
        entry_count: int = 0,
    ) -> bool:
        """Record the file as imported (or refused, with `refusal`); False if it is known already (another import
        of the same bytes committed first): then nothing else of it must be written."""
        inserted = await self._conn.fetchval(
            "INSERT INTO bank_files (file_sha256, file_name, message, message_id, outcome, refusal, entry_count,"
            " received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (file_sha256) DO NOTHING"
            " RETURNING true",
            file_sha256,
            file_name,
            message,
            message_id,
            "refused" if refusal is not None else "imported",
            refusal,
            entry_count,
            received_at,
        )
        return bool(inserted)

    async def record_entry(
        self,
        entry_id: str,
        file_sha256: str,
        entry: BankEntry,
        *,
        state: str,
        matched: Candidate | None = None,
        matched_by: str | None = None,
        settlement_event_id: uuid.UUID | None = None,
        suspense_reason: str | None = None,
    ) -> None:
        await self._conn.execute(
            "INSERT INTO bank_entries (entry_id, file_sha256, entry_index, effect, end_to_end_id, batch_reference,"
            " amount_cents, iban, remittance, reason_code, value_date, bank_reference, payment_id, attempt,"
            " matched_by, settlement_event_id, state, suspense_reason)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
            entry_id,
            file_sha256,
            entry.index,
            entry.effect,
            entry.end_to_end_id,
            entry.batch_reference,
            entry.amount_cents,
            entry.iban,
            entry.remittance,
            entry.reason_code,
            entry.value_date,
            entry.bank_reference,
            matched.payment_id if matched else None,
            matched.attempt if matched else None,
            matched_by,
            settlement_event_id,
            state,
            suspense_reason,
        )

    async def earlier_entry(self, entry: BankEntry, file_sha256: str) -> str | None:
        """An entry of another file the bank gave the same reference (AcctSvcrRef, StsId), effect and amount: the
        same booking, repeated (a day's camt.053 repeats the camt.054 notifications, often with fewer details)."""
        if entry.bank_reference is None:
            return None
        found: str | None = await self._conn.fetchval(
            "SELECT entry_id FROM bank_entries WHERE bank_reference = $1 AND effect = $2 AND file_sha256 <> $3"
            " AND ($4::bigint IS NULL OR amount_cents IS NULL OR amount_cents = $4)"
            " ORDER BY created_at, entry_id LIMIT 1",
            entry.bank_reference,
            entry.effect,
            file_sha256,
            entry.amount_cents,
        )
        return found

    async def record_duplicate(self, entry_id: str, file_sha256: str, entry: BankEntry, of_entry: str) -> None:
        """The entry as a duplicate of `of_entry`, naming the same attempt (if that one matched any)."""
        await self.record_entry(entry_id, file_sha256, entry, state="duplicate")
        await self._conn.execute(
            "UPDATE bank_entries e SET payment_id = o.payment_id, attempt = o.attempt, matched_by = o.matched_by"
            " FROM bank_entries o WHERE e.entry_id = $1 AND o.entry_id = $2",
            entry_id,
            of_entry,
        )

    async def entry_with_settlement_event(self, settlement_event_id: uuid.UUID) -> str | None:
        """The entry whose settlement event this is (a bank entry's, not finance's JSON report); None otherwise."""
        entry_id: str | None = await self._conn.fetchval(
            "SELECT entry_id FROM bank_entries WHERE settlement_event_id = $1", settlement_event_id
        )
        return entry_id

    async def set_state(self, entry_id: str, state: str, suspense_reason: str | None = None) -> None:
        """Move an entry to `state` (with why, when it goes to suspense)."""
        await self._conn.execute(
            "UPDATE bank_entries SET state = $2, suspense_reason = coalesce($3, suspense_reason) WHERE entry_id = $1",
            entry_id,
            state,
            suspense_reason,
        )

    async def open_suspense(self, limit: int = 200) -> list[SuspenseEntry]:
        """Entries waiting for finance's decision, oldest first, their account masked."""
        rows = await self._conn.fetch(
            "SELECT e.entry_id, f.file_name, e.effect, e.end_to_end_id, e.amount_cents, e.iban, e.reason_code,"
            " e.value_date, e.suspense_reason, e.created_at FROM bank_entries e JOIN bank_files f USING (file_sha256)"
            " WHERE e.state = 'suspense' ORDER BY e.created_at, e.entry_id LIMIT $1",
            limit,
        )
        return [
            SuspenseEntry(
                entry_id=row["entry_id"],
                file_name=row["file_name"],
                effect=row["effect"],
                end_to_end_id=row["end_to_end_id"],
                amount_cents=row["amount_cents"],
                iban_masked=masked_iban(row["iban"]),
                reason_code=row["reason_code"],
                value_date=row["value_date"],
                suspense_reason=row["suspense_reason"],
                created_at=row["created_at"],
            )
            for row in rows
        ]

    async def attempts_by_end_to_end_id(self, end_to_end_id: str) -> list[Candidate]:
        rows = await self._conn.fetch(f"{_CANDIDATE} WHERE a.end_to_end_id = $1", end_to_end_id)
        return [_candidate(row) for row in rows]

    async def attempts_by_amount_and_iban(self, amount_cents: int, iban: str) -> list[Candidate]:
        """Attempts in a file (sent, settled or returned) to this account for this amount (stored IBANs are
        compact, upper case: canonical since intake); the remittance is compared by matching."""
        rows = await self._conn.fetch(
            f"{_CANDIDATE} WHERE a.iban = $1 AND a.amount_cents = $2 AND a.status IN ('sent', 'settled', 'returned')",
            iban,
            amount_cents,
        )
        return [_candidate(row) for row in rows]

    async def sent_attempts_of_batch(self, batch_id: str) -> list[Candidate]:
        rows = await self._conn.fetch(
            f"{_CANDIDATE} WHERE a.batch_id = $1 AND a.status = 'sent' ORDER BY a.payment_id, a.attempt", batch_id
        )
        return [_candidate(row) for row in rows]


def _candidate(row: asyncpg.Record) -> Candidate:
    return Candidate(
        payment_id=row["payment_id"],
        attempt=row["attempt"],
        end_to_end_id=row["end_to_end_id"],
        claim_id=row["claim_id"],
        amount_cents=row["amount_cents"],
        iban=row["iban"],
        status=row["status"],
        batch_id=row["batch_id"],
    )


async def bank_file(conn: asyncpg.Connection, file_sha256: str) -> BankFileRecord | None:
    """For operators (`guichet finance import`): payments' verdict on a file, None while it has not read it."""
    return await BankFilesRepository(conn).file(file_sha256)


async def suspense_entries(conn: asyncpg.Connection, limit: int = 200) -> list[SuspenseEntry]:
    """For operators (`guichet finance suspense`): the entries waiting for a decision, oldest first, IBAN masked."""
    return await BankFilesRepository(conn).open_suspense(limit)
