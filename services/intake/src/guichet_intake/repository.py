"""Intake's SQL: registered claims and refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg


async def registered_digest(conn: asyncpg.Connection, claim_id: str) -> str | None:
    """The content digest of the claim registered under `claim_id`, if any."""
    return await conn.fetchval("SELECT content_sha256 FROM claims WHERE claim_id = $1", claim_id)


async def register_claim(
    conn: asyncpg.Connection,
    *,
    claim_id: str,
    event_id: UUID,
    programme: str,
    siren: str,
    digest: str,
    payload: dict[str, Any],
    submitted_at: dt.datetime,
) -> None:
    await conn.execute(
        "INSERT INTO claims (claim_id, event_id, programme, siren, content_sha256, payload, submitted_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        claim_id,
        event_id,
        programme,
        siren,
        digest,
        payload,
        submitted_at,
    )


async def record_refusal(
    conn: asyncpg.Connection, *, event_id: UUID, claim_id: str | None, codes: list[str], details: list[str]
) -> None:
    await conn.execute(
        "INSERT INTO refusals (event_id, claim_id, codes, details) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (event_id) DO NOTHING",
        event_id,
        claim_id,
        codes,
        details,
    )
