"""Eligibility's SQL: the registry copy, claims and their decisions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg

from guichet_eligibility.domain import Decision, History, RegistryFacts


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
    row = await conn.fetchrow("SELECT state, created_on FROM companies WHERE siren = $1", siren)
    return RegistryFacts(state=row["state"], created_on=row["created_on"]) if row else None


async def history(conn: asyncpg.Connection, programme: str, siren: str, claim_id: str) -> History:
    holding = await conn.fetchval(
        "SELECT count(*) FROM claims WHERE programme = $1 AND siren = $2 AND claim_id <> $3"
        " AND status IN ('awaiting_registry', 'approved', 'under_review')",
        programme,
        siren,
        claim_id,
    )
    return History(other_claims_holding_aid=holding)


async def claim_known(conn: asyncpg.Connection, claim_id: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM claims WHERE claim_id = $1", claim_id))


async def insert_awaiting_claim(
    conn: asyncpg.Connection,
    *,
    claim_id: str,
    programme: str,
    siren: str,
    submitted_at: dt.datetime,
    correlation_id: UUID,
    payload: dict[str, Any],
    registry_deadline: dt.datetime,
) -> None:
    await conn.execute(
        "INSERT INTO claims (claim_id, programme, siren, submitted_at, correlation_id, payload, status,"
        " registry_deadline) VALUES ($1, $2, $3, $4, $5, $6, 'awaiting_registry', $7)",
        claim_id,
        programme,
        siren,
        submitted_at,
        correlation_id,
        payload,
        registry_deadline,
    )


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
        "INSERT INTO decisions (claim_id, outcome, rule_version, reasons, rule_results) VALUES ($1, $2, $3, $4, $5)",
        claim_id,
        decision.outcome,
        decision.rule_version,
        list(decision.reasons),
        [dataclasses.asdict(result) for result in decision.results],
    )
