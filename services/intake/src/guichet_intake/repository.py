"""Intake's SQL: registered claims and refusals, one statement per batch for each."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import orjson

from guichet_intake.domain import Refusal, Registration


class PostgresClaims:
    """The claims intake registered and the submissions it refused, on one connection (the unit of work's)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def registered_digests(self, claim_ids: Sequence[str]) -> dict[str, str]:
        """The content digest of each claim already registered under one of `claim_ids`."""
        rows = await self._conn.fetch(
            "SELECT claim_id, content_sha256 FROM claims WHERE claim_id = ANY($1::text[])", sorted(set(claim_ids))
        )
        return {row["claim_id"]: row["content_sha256"] for row in rows}

    async def refused_owner_digests(self, claim_ids: Sequence[str]) -> dict[str, str]:
        """The content digest of the refused submission that took each of `claim_ids` first, where one did."""
        rows = await self._conn.fetch(
            "SELECT DISTINCT ON (claim_id) claim_id, content_sha256 FROM refusals"
            " WHERE claim_id = ANY($1::text[]) AND content_sha256 IS NOT NULL ORDER BY claim_id, id",
            sorted(set(claim_ids)),
        )
        return {row["claim_id"]: row["content_sha256"] for row in rows}

    async def register(self, registrations: Sequence[Registration]) -> None:
        # One statement per batch (unnest) rather than one execution per row; payloads travel as JSON text.
        await self._conn.execute(
            "INSERT INTO claims (claim_id, event_id, programme, siren, content_sha256, payload, submitted_at)"
            " SELECT c.claim_id, c.event_id, c.programme, c.siren, c.digest, c.payload::jsonb, c.submitted_at"
            " FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])"
            "      AS c (claim_id, event_id, programme, siren, digest, payload, submitted_at)",
            [r.claim_id for r in registrations],
            [r.event_id for r in registrations],
            [r.programme for r in registrations],
            [r.siren for r in registrations],
            [r.digest for r in registrations],
            [orjson.dumps(r.payload).decode() for r in registrations],
            [r.submitted_at for r in registrations],
        )

    async def record_refusals(self, refusals: Sequence[Refusal]) -> None:
        await self._conn.executemany(
            "INSERT INTO refusals (event_id, claim_id, codes, details, content_sha256) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (event_id) DO NOTHING",
            [(r.event_id, r.claim_id, r.codes, r.details, r.digest) for r in refusals],
        )
