"""Eligibility's SQL: the registry copy, claims, their decisions and operators' review decisions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from guichet_eligibility.domain import ClaimFacts, Decision, PriorClaim, RegistryFacts

HOLDING_AID = ("awaiting_registry", "approved", "under_review")


async def upsert_companies(conn: asyncpg.Connection, records: list[dict[str, Any]]) -> None:
    """One statement for a batch of registry records; at most one record per SIREN (ON CONFLICT cannot update a
    row twice in one statement)."""
    await conn.execute(
        "INSERT INTO companies (siren, state, created_on, naf_code, headcount_band, record)"
        " SELECT c.siren, c.state, c.created_on, c.naf_code, c.headcount_band, c.record::jsonb"
        " FROM unnest($1::bpchar[], $2::text[], $3::date[], $4::text[], $5::text[], $6::text[])"
        "      AS c (siren, state, created_on, naf_code, headcount_band, record)"
        " ON CONFLICT (siren) DO UPDATE SET state = EXCLUDED.state, created_on = EXCLUDED.created_on,"
        " naf_code = EXCLUDED.naf_code, headcount_band = EXCLUDED.headcount_band, record = EXCLUDED.record,"
        " updated_at = now()",
        [r["siren"] for r in records],
        [r["etatAdministratifUniteLegale"] for r in records],
        [
            dt.date.fromisoformat(r["dateCreationUniteLegale"]) if r.get("dateCreationUniteLegale") else None
            for r in records
        ],
        [r.get("activitePrincipaleUniteLegale") for r in records],
        [r.get("trancheEffectifsUniteLegale") for r in records],
        [orjson.dumps(r).decode() for r in records],
    )


async def delete_companies(conn: asyncpg.Connection, sirens: list[str]) -> None:
    await conn.execute("DELETE FROM companies WHERE siren = ANY($1::bpchar[])", sirens)


async def registry_facts(conn: asyncpg.Connection, siren: str) -> RegistryFacts | None:
    row = await conn.fetchrow("SELECT state, created_on, headcount_band FROM companies WHERE siren = $1", siren)
    return RegistryFacts(row["state"], row["created_on"], row["headcount_band"]) if row else None


async def known_claim_ids(conn: asyncpg.Connection, claim_ids: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT claim_id FROM claims WHERE claim_id = ANY($1::text[])", claim_ids)
    return {row["claim_id"] for row in rows}


@dataclasses.dataclass(frozen=True)
class AwaitingClaim:
    facts: ClaimFacts
    correlation_id: UUID
    payload: dict[str, Any]
    registry_deadline: dt.datetime


async def insert_awaiting_claims(conn: asyncpg.Connection, claims: list[AwaitingClaim]) -> None:
    # A batch in one statement per table (unnest): about half the database's work of one execution per row.
    await conn.execute(
        "INSERT INTO claims (claim_id, programme, siren, submitted_at, correlation_id, iban, payload, status,"
        " registry_deadline) SELECT c.claim_id, c.programme, c.siren, c.submitted_at, c.correlation_id, c.iban,"
        " c.payload::jsonb, 'awaiting_registry', c.registry_deadline FROM unnest($1::text[], $2::text[], $3::bpchar[],"
        " $4::timestamptz[], $5::uuid[], $6::text[], $7::text[], $8::timestamptz[])"
        "      AS c (claim_id, programme, siren, submitted_at, correlation_id, iban, payload, registry_deadline)",
        [c.facts.claim_id for c in claims],
        [c.facts.programme for c in claims],
        [c.facts.siren for c in claims],
        [c.facts.submitted_at for c in claims],
        [c.correlation_id for c in claims],
        [c.facts.iban for c in claims],
        [orjson.dumps(c.payload).decode() for c in claims],  # text: a JSON list would read as array dimensions
        [c.registry_deadline for c in claims],
    )
    keys = [(c.facts.claim_id, supplier, number) for c in claims for supplier, number in sorted(c.facts.invoice_keys())]
    await conn.execute(
        "INSERT INTO claim_invoices (claim_id, supplier_key, invoice_number)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING",
        [claim_id for claim_id, _, _ in keys],
        [supplier for _, supplier, _ in keys],
        [number for _, _, number in keys],
    )


async def related_claims(conn: asyncpg.Connection, claims: list[ClaimFacts]) -> list[tuple[str, PriorClaim]]:
    """(programme, claim) for every stored claim sharing a SIREN, an IBAN or an invoice with one of `claims`
    (themselves included): one query for a whole batch.

    SIRENs are char(9) columns: compared with a text[] the index would be skipped for a cast of every row, hence
    the bpchar[] parameters here and in the other SIREN look-ups."""
    keys = sorted({(facts.programme, key) for facts in claims for key in facts.invoice_keys()})
    rows = await conn.fetch(
        "WITH related AS ("
        "  SELECT claim_id FROM claims WHERE programme = ANY($1::text[]) AND siren = ANY($2::bpchar[])"
        "  UNION SELECT claim_id FROM claims WHERE programme = ANY($1::text[]) AND iban = ANY($3::text[])"
        "  UNION SELECT i.claim_id FROM unnest($4::text[], $5::text[]) AS k (supplier_key, invoice_number)"
        "  JOIN claim_invoices i USING (supplier_key, invoice_number))"
        " SELECT c.claim_id, c.programme, c.siren, c.status = ANY($6::text[]) AS holds_aid, c.iban,"
        "  coalesce(array_agg(i.supplier_key || chr(31) || i.invoice_number)"
        "           FILTER (WHERE i.claim_id IS NOT NULL), '{}') AS keys"
        " FROM claims c JOIN related USING (claim_id) LEFT JOIN claim_invoices i USING (claim_id)"
        " GROUP BY c.claim_id",
        sorted({facts.programme for facts in claims}),
        sorted({facts.siren for facts in claims}),
        sorted({facts.iban for facts in claims}),
        [supplier for _, (supplier, _) in keys],
        [number for _, (_, number) in keys],
        list(HOLDING_AID),
    )
    return [
        (
            row["programme"],
            PriorClaim(
                claim_id=row["claim_id"],
                siren=row["siren"],
                holds_aid=row["holds_aid"],
                iban=row["iban"],
                invoice_keys=frozenset(tuple(key.split(chr(31), 1)) for key in row["keys"]),
            ),
        )
        for row in rows
    ]


async def take_awaiting_for_companies(conn: asyncpg.Connection, sirens: list[str]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT claim_id, correlation_id, payload FROM claims"
        " WHERE status = 'awaiting_registry' AND set_aside_at IS NULL AND siren = ANY($1::bpchar[])"
        " ORDER BY received_at FOR UPDATE",
        sirens,
    )


async def take_awaiting_past_deadline(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT claim_id, correlation_id, payload FROM claims"
        " WHERE status = 'awaiting_registry' AND set_aside_at IS NULL AND registry_deadline <= now()"
        " ORDER BY registry_deadline LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit,
    )


async def set_claim_aside(conn: asyncpg.Connection, claim_id: str) -> None:
    await conn.execute("UPDATE claims SET set_aside_at = now() WHERE claim_id = $1", claim_id)


async def record_decisions(conn: asyncpg.Connection, decisions: list[tuple[str, Decision]]) -> None:
    await conn.execute(
        "UPDATE claims SET status = d.outcome, registry_deadline = NULL"
        " FROM unnest($1::text[], $2::text[]) AS d (claim_id, outcome) WHERE claims.claim_id = d.claim_id",
        [claim_id for claim_id, _ in decisions],
        [decision.outcome for _, decision in decisions],
    )
    await conn.execute(
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
        "SELECT siren, state, created_on, headcount_band FROM companies WHERE siren = ANY($1::bpchar[])", sirens
    )
    return {row["siren"]: RegistryFacts(row["state"], row["created_on"], row["headcount_band"]) for row in rows}
