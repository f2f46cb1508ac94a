"""Eligibility's SQL for a person's data: which claims it holds, erasing one kind of their sealed values in the stored
payload, and every row it holds about given claims (a subject-access export)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import orjson

from guichet_eligibility.translate import ERASABLE


@dataclasses.dataclass(frozen=True)
class HeldRow:
    """One row about a claim, as stored (JSON values; dates as ISO text)."""

    table: str
    claim_id: str
    fields: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class ClearClaim:
    """A claim stored before sealing with work left: its IBAN in clear (None once erased), whether it still has no
    fingerprint, and whether its decision is taken (its clear values are needed no more)."""

    claim_id: str
    iban: str | None
    without_fingerprint: bool
    decided: bool


# A claim's clear values are no longer needed once decided: approved (payments has them) or rejected.
DECIDED = ("approved", "rejected")


class PostgresPersonalData:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def programmes_of(self, claim_ids: Sequence[str]) -> dict[str, str]:
        """claim_id -> programme, for the claims eligibility holds among `claim_ids`."""
        rows = await self._conn.fetch(
            "SELECT claim_id, programme FROM claims WHERE claim_id = ANY($1::text[])", sorted(set(claim_ids))
        )
        return {row["claim_id"]: row["programme"] for row in rows}

    async def erase(self, kind: str, claim_ids: Sequence[str]) -> None:
        """Null every value of `kind` in the claims' stored payloads (the sections stay, their fields read null)."""
        for path, fields in ERASABLE[kind]:
            await self._conn.execute(
                "UPDATE claims SET payload = jsonb_set(payload, $2::text[],"
                " coalesce(payload #> $2::text[], '{}'::jsonb) || ($3::text)::jsonb) WHERE claim_id = ANY($1::text[])",
                sorted(set(claim_ids)),
                list(path),
                orjson.dumps(dict.fromkeys(fields)).decode(),
            )

    async def stored_in_clear(self, limit: int) -> list[ClearClaim]:
        """Claims stored before sealing that still lack a fingerprint, or are decided and still hold clear values."""
        rows = await self._conn.fetch(
            "SELECT claim_id, iban, iban_fingerprint IS NULL AS without_fingerprint, decided FROM ("
            "  SELECT claim_id, iban_fingerprint, payload #>> '{bank_account,iban}' AS iban,"
            "   status = ANY($2::text[]) AS decided,"
            "   (payload #>> '{bank_account,iban}' NOT LIKE 'sealed:%'"
            "    OR payload #>> '{bank_account,holder_name}' NOT LIKE 'sealed:%'"
            "    OR payload #>> '{contact,email}' NOT LIKE 'sealed:%'"
            "    OR payload #>> '{contact,full_name}' NOT LIKE 'sealed:%') AS in_clear"
            "  FROM claims) c"
            " WHERE (iban_fingerprint IS NULL AND iban NOT LIKE 'sealed:%') OR (decided AND in_clear)"
            " ORDER BY claim_id LIMIT $1",
            limit,
            list(DECIDED),
        )
        return [ClearClaim(r["claim_id"], r["iban"], r["without_fingerprint"], r["decided"]) for r in rows]

    async def set_fingerprints(self, fingerprints: Mapping[str, str]) -> None:
        await self._conn.execute(
            "UPDATE claims SET iban_fingerprint = f.fingerprint FROM unnest($1::text[], $2::text[])"
            " AS f (claim_id, fingerprint) WHERE claims.claim_id = f.claim_id",
            list(fingerprints),
            list(fingerprints.values()),
        )

    async def held(self, claim_ids: Sequence[str]) -> list[HeldRow]:
        """Every row about these claims: the claim (its payload as stored), its invoices' keys, its decision, an
        operator's review of it, and its company's registry facts."""
        ids = sorted(set(claim_ids))
        queries = {
            "claims": "SELECT claim_id, programme, siren, submitted_at, correlation_id, iban_fingerprint, payload,"
            " status, source, received_at FROM claims WHERE claim_id = ANY($1::text[])",
            "claim_invoices": "SELECT claim_id, supplier_key, invoice_number FROM claim_invoices"
            " WHERE claim_id = ANY($1::text[])",
            "decisions": "SELECT claim_id, outcome, rule_version, reasons, rule_results, grant_cents, decided_at"
            " FROM decisions WHERE claim_id = ANY($1::text[])",
            "review_decisions": "SELECT claim_id, decision, operator, seconded_by, reason, decided_at"
            " FROM review_decisions WHERE claim_id = ANY($1::text[])",
            "companies": "SELECT c.claim_id, r.siren, r.state, r.created_on, r.naf_code, r.headcount_band,"
            " r.updated_at FROM claims c JOIN companies r USING (siren) WHERE c.claim_id = ANY($1::text[])",
        }
        held: list[HeldRow] = []
        for table, query in queries.items():
            for row in await self._conn.fetch(query, ids):
                fields = {name: _json(value) for name, value in dict(row).items() if name != "claim_id"}
                held.append(HeldRow(table, row["claim_id"], fields))
        return held


def _json(value: Any) -> Any:
    """A column's value as JSON would carry it."""
    return orjson.loads(orjson.dumps(value, default=str)) if not isinstance(value, str | int | bool | None) else value
