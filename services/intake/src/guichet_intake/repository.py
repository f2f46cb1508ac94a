"""Intake's SQL: registered claims and refusals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg


async def registered_digests(conn: asyncpg.Connection, claim_ids: list[str]) -> dict[str, str]:
    """The content digest of each claim already registered under one of `claim_ids`."""
    rows = await conn.fetch(
        "SELECT claim_id, content_sha256 FROM claims WHERE claim_id = ANY($1::text[])", sorted(set(claim_ids))
    )
    return {row["claim_id"]: row["content_sha256"] for row in rows}


@dataclass(frozen=True)
class Registration:
    claim_id: str
    event_id: UUID
    programme: str
    siren: str
    digest: str
    payload: dict[str, Any]
    submitted_at: dt.datetime


@dataclass(frozen=True)
class Refusal:
    event_id: UUID
    claim_id: str | None
    codes: list[str]
    details: list[str]


async def register_claims(conn: asyncpg.Connection, registrations: list[Registration]) -> None:
    await conn.executemany(
        "INSERT INTO claims (claim_id, event_id, programme, siren, content_sha256, payload, submitted_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [(r.claim_id, r.event_id, r.programme, r.siren, r.digest, r.payload, r.submitted_at) for r in registrations],
    )


async def record_refusals(conn: asyncpg.Connection, refusals: list[Refusal]) -> None:
    await conn.executemany(
        "INSERT INTO refusals (event_id, claim_id, codes, details) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (event_id) DO NOTHING",
        [(r.event_id, r.claim_id, r.codes, r.details) for r in refusals],
    )
