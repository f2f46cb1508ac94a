"""Payments' SQL for new bank details: is an account already paid, or waiting to be paid, for another company?"""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg


class BankAccountsRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def used_by_other_companies(self, iban: str, siren: str, fingerprint: str) -> bool:
        """Whether `iban` (compact, upper case) is on an attempt of a payment, or on a waiting approval, of a SIREN
        other than `siren`. Stored IBANs may predate canonical storage (spaces, lower case), so they are compared in
        the same compact upper-case form; a waiting approval's IBAN is sealed, so its `fingerprint` is compared
        (approvals queued before sealing still hold theirs in clear)."""
        return bool(
            await self._conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM payment_attempts a JOIN payments p USING (payment_id)"
                "  WHERE upper(regexp_replace(a.iban, '[[:space:]]', '', 'g')) = $1 AND p.siren <> $2::bpchar)"
                " OR EXISTS (SELECT 1 FROM waitlist w WHERE w.iban_fingerprint = $3 AND w.siren <> $2::bpchar)"
                " OR EXISTS (SELECT 1 FROM waitlist w"
                "  WHERE w.iban_fingerprint IS NULL"
                "  AND upper(regexp_replace(w.decision->>'iban', '[[:space:]]', '', 'g')) = $1"
                "  AND w.siren <> $2::bpchar)",
                iban,
                siren,
                fingerprint,
            )
        )

    async def remember_waiting_accounts(self, fingerprints: Mapping[str, str]) -> None:
        """The IBAN fingerprint of each waiting approval (claim_id -> fingerprint)."""
        await self._conn.execute(
            "UPDATE waitlist w SET iban_fingerprint = f.fingerprint"
            " FROM unnest($1::text[], $2::text[]) AS f (claim_id, fingerprint) WHERE w.claim_id = f.claim_id",
            list(fingerprints),
            list(fingerprints.values()),
        )
