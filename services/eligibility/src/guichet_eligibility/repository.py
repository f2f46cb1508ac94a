"""Eligibility's SQL: the registry copy, claims, their decisions and operators' review decisions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg

from guichet_eligibility.domain import ClaimFacts, Decision, PriorClaim, RegistryFacts

HOLDING_AID = ("awaiting_registry", "approved", "under_review")


async def upsert_company(conn: asyncpg.Connection, record: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO companies (siren, state, created_on, naf_code, headcount_band, record)"
        " VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (siren) DO UPDATE SET state = EXCLUDED.state, created_on = EXCLUDED.created_on,"
        " naf_code = EXCLUDED.naf_code, headcount_band = EXCLUDED.headcount_band, record = EXCLUDED.record,"
        " updated_at = now()",
        record["siren"],
        record["etatAdministratifUniteLegale"],
        dt.date.fromisoformat(record["dateCreationUniteLegale"]) if record.get("dateCreationUniteLegale") else None,
        record.get("activitePrincipaleUniteLegale"),
        record.get("trancheEffectifsUniteLegale"),
        record,
    )


async def delete_company(conn: asyncpg.Connection, siren: str) -> None:
    await conn.execute("DELETE FROM companies WHERE siren = $1", siren)


async def registry_facts(conn: asyncpg.Connection, siren: str) -> RegistryFacts | None:
    row = await conn.fetchrow("SELECT state, created_on, headcount_band FROM companies WHERE siren = $1", siren)
    return RegistryFacts(row["state"], row["created_on"], row["headcount_band"]) if row else None


async def claim_known(conn: asyncpg.Connection, claim_id: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM claims WHERE claim_id = $1", claim_id))


async def insert_awaiting_claim(
    conn: asyncpg.Connection,
    facts: ClaimFacts,
    *,
    correlation_id: UUID,
    payload: dict[str, Any],
    registry_deadline: dt.datetime,
) -> None:
    await conn.execute(
        "INSERT INTO claims (claim_id, programme, siren, submitted_at, correlation_id, iban, payload, status,"
        " registry_deadline) VALUES ($1, $2, $3, $4, $5, $6, $7, 'awaiting_registry', $8)",
        facts.claim_id,
        facts.programme,
        facts.siren,
        facts.submitted_at,
        correlation_id,
        facts.iban,
        payload,
        registry_deadline,
    )
    keys = sorted(facts.invoice_keys())
    await conn.executemany(
        "INSERT INTO claim_invoices (claim_id, supplier_key, invoice_number) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        [(facts.claim_id, supplier, number) for supplier, number in keys],
    )


async def prior_claims(conn: asyncpg.Connection, facts: ClaimFacts) -> list[PriorClaim]:
    """The programme's other claims sharing this claim's SIREN, IBAN or one of its invoices."""
    keys = sorted(facts.invoice_keys())
    rows = await conn.fetch(
        "WITH related AS ("
        "  SELECT claim_id FROM claims WHERE programme = $1 AND (siren = $2 OR iban = $3)"
        "  UNION SELECT i.claim_id FROM claim_invoices i JOIN claims c USING (claim_id)"
        "  WHERE c.programme = $1 AND (i.supplier_key, i.invoice_number) IN"
        "        (SELECT * FROM unnest($4::text[], $5::text[])))"
        " SELECT c.claim_id, c.siren, c.status, c.iban,"
        "  coalesce(array_agg(i.supplier_key || chr(31) || i.invoice_number)"
        "           FILTER (WHERE i.claim_id IS NOT NULL), '{}') AS keys"
        " FROM claims c JOIN related USING (claim_id) LEFT JOIN claim_invoices i USING (claim_id)"
        " WHERE c.claim_id <> $6 GROUP BY c.claim_id",
        facts.programme,
        facts.siren,
        facts.iban,
        [supplier for supplier, _ in keys],
        [number for _, number in keys],
        facts.claim_id,
    )
    return [
        PriorClaim(
            claim_id=row["claim_id"],
            siren=row["siren"],
            holds_aid=row["status"] in HOLDING_AID,
            iban=row["iban"],
            invoice_keys=frozenset(tuple(key.split(chr(31), 1)) for key in row["keys"]),
        )
        for row in rows
    ]


async def take_awaiting_for_companies(conn: asyncpg.Connection, sirens: list[str]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT claim_id, correlation_id, payload FROM claims"
        " WHERE status = 'awaiting_registry' AND siren = ANY($1::text[]) ORDER BY received_at FOR UPDATE",
        sirens,
    )


async def take_awaiting_past_deadline(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT claim_id, correlation_id, payload FROM claims"
        " WHERE status = 'awaiting_registry' AND registry_deadline <= now()"
        " ORDER BY registry_deadline LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit,
    )


async def record_decision(conn: asyncpg.Connection, claim_id: str, decision: Decision) -> None:
    await conn.execute(
        "UPDATE claims SET status = $2, registry_deadline = NULL WHERE claim_id = $1", claim_id, decision.outcome
    )
    await conn.execute(
        "INSERT INTO decisions (claim_id, outcome, rule_version, reasons, rule_results, grant_cents)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        claim_id,
        decision.outcome,
        decision.rule_version,
        list(decision.reasons),
        [dataclasses.asdict(result) for result in decision.results],
        decision.grant_cents,
    )


async def claims_under_review(conn: asyncpg.Connection, programme: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT c.claim_id, c.programme, c.siren, c.submitted_at, d.reasons, d.decided_at FROM claims c"
        " JOIN decisions d USING (claim_id) WHERE c.status = 'under_review'"
        " AND NOT EXISTS (SELECT 1 FROM review_decisions r WHERE r.claim_id = c.claim_id)"
        " AND ($1::text IS NULL OR c.programme = $1) ORDER BY d.decided_at, c.claim_id",
        programme,
    )


async def claim_with_decision(conn: asyncpg.Connection, claim_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    """The claim with its decision; with `lock`, held until the transaction ends (two operators cannot both decide)."""
    return await conn.fetchrow(
        "SELECT c.claim_id, c.status, c.correlation_id, c.payload, d.rule_version, d.reasons, d.rule_results,"
        " EXISTS (SELECT 1 FROM review_decisions r WHERE r.claim_id = c.claim_id) AS reviewed"
        " FROM claims c LEFT JOIN decisions d USING (claim_id) WHERE c.claim_id = $1"
        + (" FOR UPDATE OF c" if lock else ""),
        claim_id,
    )


async def record_review(conn: asyncpg.Connection, claim_id: str, decision: str, operator: str, reason: str) -> None:
    await conn.execute(
        "INSERT INTO review_decisions (claim_id, decision, operator, reason) VALUES ($1, $2, $3, $4)",
        claim_id,
        decision,
        operator,
        reason,
    )
    await conn.execute("UPDATE claims SET status = $2 WHERE claim_id = $1", claim_id, decision)


async def decided_claims(conn: asyncpg.Connection, programme: str) -> list[asyncpg.Record]:
    """Every judged claim of the programme in arrival order, with the rules' decision and what it granted."""
    return await conn.fetch(
        "SELECT c.claim_id, c.siren, c.correlation_id, c.payload, d.outcome, d.reasons, d.rule_results,"
        " d.grant_cents AS granted_cents"
        " FROM claims c JOIN decisions d USING (claim_id) WHERE c.programme = $1"
        " ORDER BY c.received_at, c.claim_id",
        programme,
    )


async def registry_facts_for(conn: asyncpg.Connection, sirens: list[str]) -> dict[str, RegistryFacts]:
    rows = await conn.fetch(
        "SELECT siren, state, created_on, headcount_band FROM companies WHERE siren = ANY($1::text[])", sirens
    )
    return {row["siren"]: RegistryFacts(row["state"], row["created_on"], row["headcount_band"]) for row in rows}
