"""Eligibility's SQL: the registry copy, claims, their decisions and operators' review decisions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from guichet_eligibility.domain import HOLDING_AID, ClaimFacts, Decision, PriorClaim, RegistryFacts


@dataclasses.dataclass(frozen=True)
class AwaitingClaim:
    """A claim as registered, before it is judged: it waits for its registry record until `registry_deadline`."""

    facts: ClaimFacts
    correlation_id: UUID
    payload: dict[str, Any]
    registry_deadline: dt.datetime
    source: str | None = None  # the portal that sent it (ClaimRegisteredV1.source), for its statuses


@dataclasses.dataclass(frozen=True)
class WaitingClaim:
    """A stored claim taken to be judged now: its payload is the submitted claim as stored (JSON)."""

    claim_id: str
    correlation_id: UUID
    payload: Mapping[str, Any]
    source: str | None = None
    iban_fingerprint: str | None = None


@dataclasses.dataclass(frozen=True)
class ClaimWithDecision:
    claim_id: str
    status: str
    correlation_id: UUID
    payload: Mapping[str, Any]
    rule_version: str | None
    reviewed: bool
    rule_results: Sequence[Mapping[str, Any]] = ()  # the rules' decision, each rule as RuleResult.as_record
    source: str | None = None
    iban_fingerprint: str | None = None
    reasons: Sequence[str] = ()  # the rules' reasons (for a claim under review: why it was sent there)


@dataclasses.dataclass(frozen=True)
class DecidedClaim:
    """A judged claim with the rules' decision and what it granted, for what-if replays."""

    claim_id: str
    siren: str
    payload: Mapping[str, Any]
    outcome: str
    reasons: tuple[str, ...]
    rule_results: list[dict[str, Any]]
    granted_cents: int
    iban_fingerprint: str | None = None


class PostgresCompanies:
    """The registry copy: one row per SIREN, as the compacted registry topic last said it."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def upsert(self, records: Sequence[Mapping[str, Any]]) -> None:
        """One statement for a batch of registry records; at most one record per SIREN (ON CONFLICT cannot update a
        row twice in one statement). Only what the rules read is kept: not the denomination, which for a sole trader
        is a person's name, nor anything else of the record."""
        await self._conn.execute(
            "INSERT INTO companies (siren, state, created_on, naf_code, headcount_band)"
            " SELECT c.siren, c.state, c.created_on, c.naf_code, c.headcount_band"
            " FROM unnest($1::bpchar[], $2::text[], $3::date[], $4::text[], $5::text[])"
            "      AS c (siren, state, created_on, naf_code, headcount_band)"
            " ON CONFLICT (siren) DO UPDATE SET state = EXCLUDED.state, created_on = EXCLUDED.created_on,"
            " naf_code = EXCLUDED.naf_code, headcount_band = EXCLUDED.headcount_band, updated_at = now()",
            [r["siren"] for r in records],
            [r["etatAdministratifUniteLegale"] for r in records],
            [
                dt.date.fromisoformat(r["dateCreationUniteLegale"]) if r.get("dateCreationUniteLegale") else None
                for r in records
            ],
            [r.get("activitePrincipaleUniteLegale") for r in records],
            [r.get("trancheEffectifsUniteLegale") for r in records],
        )

    async def delete(self, sirens: Sequence[str]) -> None:
        await self._conn.execute("DELETE FROM companies WHERE siren = ANY($1::bpchar[])", list(sirens))

    async def registry_facts_for(self, sirens: Sequence[str]) -> dict[str, RegistryFacts]:
        rows = await self._conn.fetch(
            "SELECT siren, state, created_on, headcount_band FROM companies WHERE siren = ANY($1::bpchar[])",
            list(sirens),
        )
        return {row["siren"]: RegistryFacts(row["state"], row["created_on"], row["headcount_band"]) for row in rows}


class PostgresClaims:
    """Registered claims, their decisions and the operators' review decisions."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def known_claim_ids(self, claim_ids: Sequence[str]) -> set[str]:
        rows = await self._conn.fetch("SELECT claim_id FROM claims WHERE claim_id = ANY($1::text[])", list(claim_ids))
        return {row["claim_id"] for row in rows}

    async def insert_awaiting(self, claims: Sequence[AwaitingClaim]) -> None:
        # A batch in one statement per table (unnest): about half the database's work of one execution per row.
        await self._conn.execute(
            "INSERT INTO claims (claim_id, programme, siren, submitted_at, correlation_id, iban_fingerprint, payload,"
            " status, registry_deadline, source) SELECT c.claim_id, c.programme, c.siren, c.submitted_at,"
            " c.correlation_id, c.iban_fingerprint, c.payload::jsonb, 'awaiting_registry', c.registry_deadline,"
            " c.source FROM unnest($1::text[], $2::text[], $3::bpchar[], $4::timestamptz[], $5::uuid[], $6::text[],"
            " $7::text[], $8::timestamptz[], $9::text[])"
            "      AS c (claim_id, programme, siren, submitted_at, correlation_id, iban_fingerprint, payload,"
            "            registry_deadline, source)",
            [c.facts.claim_id for c in claims],
            [c.facts.programme for c in claims],
            [c.facts.siren for c in claims],
            [c.facts.submitted_at for c in claims],
            [c.correlation_id for c in claims],
            [c.facts.iban_fingerprint for c in claims],
            [orjson.dumps(c.payload).decode() for c in claims],  # text: a JSON list would read as array dimensions
            [c.registry_deadline for c in claims],
            [c.source for c in claims],
        )
        keys = [
            (c.facts.claim_id, supplier, number) for c in claims for supplier, number in sorted(c.facts.invoice_keys())
        ]
        await self._conn.execute(
            "INSERT INTO claim_invoices (claim_id, supplier_key, invoice_number)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING",
            [claim_id for claim_id, _, _ in keys],
            [supplier for _, supplier, _ in keys],
            [number for _, _, number in keys],
        )

    async def related_claims(self, claims: Sequence[ClaimFacts]) -> list[tuple[str, PriorClaim]]:
        """(programme, claim) for every stored claim sharing a SIREN, an IBAN (by fingerprint) or an invoice with one
        of `claims` (themselves included): one query for a whole batch.

        SIRENs are char(9) columns: compared with a text[] the index would be skipped for a cast of every row, hence
        the bpchar[] parameters here and in the other SIREN look-ups."""
        keys = sorted({(facts.programme, key) for facts in claims for key in facts.invoice_keys()})
        rows = await self._conn.fetch(
            "WITH related AS ("
            "  SELECT claim_id FROM claims WHERE programme = ANY($1::text[]) AND siren = ANY($2::bpchar[])"
            "  UNION SELECT claim_id FROM claims WHERE programme = ANY($1::text[])"
            "   AND iban_fingerprint = ANY($3::text[])"
            "  UNION SELECT i.claim_id FROM unnest($4::text[], $5::text[]) AS k (supplier_key, invoice_number)"
            "  JOIN claim_invoices i USING (supplier_key, invoice_number))"
            " SELECT c.claim_id, c.programme, c.siren, c.status = ANY($6::text[]) AS holds_aid, c.iban_fingerprint,"
            "  coalesce(array_agg(i.supplier_key || chr(31) || i.invoice_number)"
            "           FILTER (WHERE i.claim_id IS NOT NULL), '{}') AS keys"
            " FROM claims c JOIN related USING (claim_id) LEFT JOIN claim_invoices i USING (claim_id)"
            " GROUP BY c.claim_id",
            sorted({facts.programme for facts in claims}),
            sorted({facts.siren for facts in claims}),
            sorted({facts.iban_fingerprint for facts in claims if facts.iban_fingerprint is not None}),
            [supplier for _, (supplier, _) in keys],
            [number for _, (_, number) in keys],
            sorted(HOLDING_AID),  # the domain's one definition of a claim that holds its company's aid
        )
        return [
            (
                row["programme"],
                PriorClaim(
                    claim_id=row["claim_id"],
                    siren=row["siren"],
                    holds_aid=row["holds_aid"],
                    iban_fingerprint=row["iban_fingerprint"],
                    invoice_keys=frozenset(_invoice_key(key) for key in row["keys"]),
                ),
            )
            for row in rows
        ]

    async def take_awaiting_for_companies(self, sirens: Sequence[str]) -> list[WaitingClaim]:
        rows = await self._conn.fetch(
            "SELECT claim_id, correlation_id, payload, source, iban_fingerprint FROM claims"
            " WHERE status = 'awaiting_registry' AND set_aside_at IS NULL AND siren = ANY($1::bpchar[])"
            " ORDER BY received_at FOR UPDATE",
            list(sirens),
        )
        return [_waiting(row) for row in rows]

    async def take_awaiting_past_deadline(self, limit: int) -> list[WaitingClaim]:
        rows = await self._conn.fetch(
            "SELECT claim_id, correlation_id, payload, source, iban_fingerprint FROM claims"
            " WHERE status = 'awaiting_registry' AND set_aside_at IS NULL AND registry_deadline <= now()"
            " ORDER BY registry_deadline LIMIT $1 FOR UPDATE SKIP LOCKED",
            limit,
        )
        return [_waiting(row) for row in rows]

    async def mark_set_aside(self, claim_id: str) -> None:
        """The deadline job skips the claim until an operator releases it (`set_aside_repository`)."""
        await self._conn.execute("UPDATE claims SET set_aside_at = now() WHERE claim_id = $1", claim_id)

    async def record_decisions(self, decisions: Sequence[tuple[str, Decision]]) -> None:
        await self._conn.execute(
            "UPDATE claims SET status = d.outcome, registry_deadline = NULL"
            " FROM unnest($1::text[], $2::text[]) AS d (claim_id, outcome) WHERE claims.claim_id = d.claim_id",
            [claim_id for claim_id, _ in decisions],
            [decision.outcome for _, decision in decisions],
        )
        await self._conn.execute(
            "INSERT INTO decisions (claim_id, outcome, rule_version, reasons, rule_results, grant_cents)"
            " SELECT d.claim_id, d.outcome, d.rule_version, ARRAY(SELECT jsonb_array_elements_text(d.reasons::jsonb)),"
            " d.rule_results::jsonb, d.grant_cents"
            " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])"
            "      AS d (claim_id, outcome, rule_version, reasons, rule_results, grant_cents)",
            [claim_id for claim_id, _ in decisions],
            [decision.outcome for _, decision in decisions],
            [decision.rule_version for _, decision in decisions],
            # Lists per row travel as JSON text: arrays of unequal lengths cannot be one SQL array.
            [orjson.dumps(list(decision.reasons)).decode() for _, decision in decisions],
            [orjson.dumps([result.as_record() for result in decision.results]).decode() for _, decision in decisions],
            [decision.grant_cents for _, decision in decisions],
        )

    async def with_decision(self, claim_id: str, *, lock: bool = False) -> ClaimWithDecision | None:
        """The claim with its decision; with `lock`, held until the transaction ends (two operators cannot both
        decide)."""
        row = await claim_with_decision(self._conn, claim_id, lock=lock)
        if row is None:
            return None
        return ClaimWithDecision(
            row["claim_id"],
            row["status"],
            row["correlation_id"],
            row["payload"],
            row["rule_version"],
            row["reviewed"],
            row["rule_results"] or (),
            row["source"],
            row["iban_fingerprint"],
            list(row["reasons"] or ()),
        )

    async def record_review(
        self, claim_id: str, decision: str, operator: str, reason: str, *, seconded_by: str | None = None
    ) -> None:
        await self._conn.execute(
            "INSERT INTO review_decisions (claim_id, decision, operator, reason, seconded_by)"
            " VALUES ($1, $2, $3, $4, $5)",
            claim_id,
            decision,
            operator,
            reason,
            seconded_by,
        )
        await self._conn.execute("UPDATE claims SET status = $2 WHERE claim_id = $1", claim_id, decision)

    async def decided_claims(self, programme: str) -> list[DecidedClaim]:
        """Every judged claim of the programme in arrival order, with the rules' decision and what it granted."""
        rows = await self._conn.fetch(
            "SELECT c.claim_id, c.siren, c.payload, d.outcome, d.reasons, d.rule_results,"
            " d.grant_cents AS granted_cents, c.iban_fingerprint"
            " FROM claims c JOIN decisions d USING (claim_id) WHERE c.programme = $1"
            " ORDER BY c.received_at, c.claim_id",
            programme,
        )
        return [
            DecidedClaim(
                row["claim_id"],
                row["siren"],
                row["payload"],
                row["outcome"],
                tuple(row["reasons"]),
                list(row["rule_results"] or []),
                row["granted_cents"] or 0,
                row["iban_fingerprint"],
            )
            for row in rows
        ]

    async def under_review(self, programme: str | None) -> list[asyncpg.Record]:
        """The operators' queue (read by the console as it is)."""
        return await self._conn.fetch(
            "SELECT c.claim_id, c.programme, c.siren, c.submitted_at, d.reasons, d.decided_at FROM claims c"
            " JOIN decisions d USING (claim_id) WHERE c.status = 'under_review'"
            " AND NOT EXISTS (SELECT 1 FROM review_decisions r WHERE r.claim_id = c.claim_id)"
            " AND ($1::text IS NULL OR c.programme = $1) ORDER BY d.decided_at, c.claim_id",
            programme,
        )


async def claim_with_decision(conn: asyncpg.Connection, claim_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    """The claim with its decision and rule results, as the console's `review show` prints it; with `lock`, held
    until the transaction ends."""
    return await conn.fetchrow(
        "SELECT c.claim_id, c.status, c.correlation_id, c.payload, c.source, c.iban_fingerprint, d.rule_version,"
        " d.reasons,"
        " d.rule_results,"
        " EXISTS (SELECT 1 FROM review_decisions r WHERE r.claim_id = c.claim_id) AS reviewed"
        " FROM claims c LEFT JOIN decisions d USING (claim_id) WHERE c.claim_id = $1"
        + (" FOR UPDATE OF c" if lock else ""),
        claim_id,
    )


def _waiting(row: asyncpg.Record) -> WaitingClaim:
    return WaitingClaim(row["claim_id"], row["correlation_id"], row["payload"], row["source"], row["iban_fingerprint"])


def _invoice_key(stored: str) -> tuple[str, str]:
    supplier, number = stored.split(chr(31), 1)
    return supplier, number
