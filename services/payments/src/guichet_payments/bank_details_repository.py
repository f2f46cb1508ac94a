"""Payments' SQL for new bank details: is an account already paid, or waiting to be paid, for another company?"""

from __future__ import annotations

import asyncpg


class BankAccountsRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def used_by_other_companies(self, iban: str, siren: str) -> bool:
        """Whether `iban` (compact, upper case) is on an attempt of a payment, or on a waiting approval, of a SIREN
        other than `siren`. Stored IBANs may predate canonical storage (spaces, lower case), so they are compared in
        the same compact upper-case form."""
        return bool(
            await self._conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM payment_attempts a JOIN payments p USING (payment_id)"
                "  WHERE upper(regexp_replace(a.iban, '[[:space:]]', '', 'g')) = $1 AND p.siren <> $2::bpchar)"
                " OR EXISTS (SELECT 1 FROM waitlist w"
                "  WHERE upper(regexp_replace(w.decision->>'iban', '[[:space:]]', '', 'g')) = $1"
                "  AND w.siren <> $2::bpchar)",
                iban,
                siren,
            )
        )
