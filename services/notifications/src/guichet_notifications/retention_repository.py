"""Notifications' SQL for the retention clock: each claim's latest status and deadlines (`claim_statuses`), and the
decisions on people's requests to erase (`privacy_requests`)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg

from guichet_notifications.retention import SETTLED_STATUSES, ClaimTrack, Deadlines, ErasureDecision

_TRACK = "claim_id, programme, status, status_at, final_at, paid_at"


class ClaimStatusesRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def get(self, claim_ids: Iterable[str]) -> dict[str, ClaimTrack]:
        rows = await self._conn.fetch(
            f"SELECT {_TRACK} FROM claim_statuses WHERE claim_id = ANY($1::text[])", sorted(set(claim_ids))
        )
        return {row["claim_id"]: ClaimTrack(**dict(row)) for row in rows}

    async def save(self, tracks: Sequence[tuple[ClaimTrack, Deadlines]]) -> None:
        if not tracks:
            return
        columns = list(zip(*((*_values(t), d.contact, d.bank) for t, d in tracks), strict=True))
        await self._conn.execute(
            f"INSERT INTO claim_statuses ({_TRACK}, contact_due_at, bank_due_at)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[],"
            "  $6::timestamptz[], $7::timestamptz[], $8::timestamptz[])"
            " ON CONFLICT (claim_id) DO UPDATE SET programme = EXCLUDED.programme, status = EXCLUDED.status,"
            "  status_at = EXCLUDED.status_at, final_at = EXCLUDED.final_at, paid_at = EXCLUDED.paid_at,"
            "  contact_due_at = EXCLUDED.contact_due_at, bank_due_at = EXCLUDED.bank_due_at",
            *(list(column) for column in columns),
        )

    async def due(self, now: dt.datetime, limit: int) -> list[tuple[str, str, str]]:
        """(claim_id, programme, kind) of the data past its deadline, of settled claims only: a claim under
        control again after its payment keeps its data until the control closes."""
        rows = await self._conn.fetch(
            "SELECT claim_id, programme, kind FROM ("
            "  SELECT claim_id, programme, status, 'contact' AS kind FROM claim_statuses WHERE contact_due_at <= $1"
            "  UNION ALL"
            "  SELECT claim_id, programme, status, 'bank' FROM claim_statuses WHERE bank_due_at <= $1) d"
            " WHERE status = ANY($2::text[]) ORDER BY claim_id, kind LIMIT $3",
            now,
            sorted(SETTLED_STATUSES),
            limit,
        )
        return [(row["claim_id"], row["programme"], row["kind"]) for row in rows]

    async def clear_deadlines(self, erased: Iterable[tuple[str, str]]) -> None:
        """No deadline any more for these (claim_id, kind): erased."""
        pairs = sorted(set(erased))
        await self._conn.execute(
            "UPDATE claim_statuses s SET"
            "  contact_due_at = CASE WHEN e.kinds @> ARRAY['contact'] THEN NULL ELSE s.contact_due_at END,"
            "  bank_due_at = CASE WHEN e.kinds @> ARRAY['bank'] THEN NULL ELSE s.bank_due_at END"
            " FROM (SELECT c AS claim_id, array_agg(k) AS kinds FROM unnest($1::text[], $2::text[]) AS p (c, k)"
            "       GROUP BY c) e WHERE s.claim_id = e.claim_id",
            [c for c, _ in pairs],
            [k for _, k in pairs],
        )

    async def held(self, claim_ids: Iterable[str]) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            f"SELECT {_TRACK}, contact_due_at, bank_due_at FROM claim_statuses WHERE claim_id = ANY($1::text[])"
            " ORDER BY claim_id",
            sorted(set(claim_ids)),
        )
        return [dict(row) for row in rows]


def _values(track: ClaimTrack) -> tuple[Any, ...]:
    return (track.claim_id, track.programme, track.status, track.status_at, track.final_at, track.paid_at)


class PrivacyRequestsRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def record(
        self,
        request_id: uuid.UUID,
        action: str,
        requested_by: str,
        legal_reason: str,
        at: dt.datetime,
        decisions: Sequence[ErasureDecision],
    ) -> None:
        await self._conn.execute(
            "INSERT INTO privacy_requests (request_id, claim_id, action, decision, code, detail, claim_status,"
            "  requested_by, legal_reason, decided_at)"
            " SELECT $1, c, $2, CASE WHEN code IS NULL THEN 'accepted' ELSE 'refused' END, code, d, s, $3, $4, $5"
            " FROM unnest($6::text[], $7::text[], $8::text[], $9::text[]) AS t (c, code, d, s)"
            " ON CONFLICT DO NOTHING",
            request_id,
            action,
            requested_by,
            legal_reason,
            at,
            [d.claim_id for d in decisions],
            [d.code for d in decisions],
            [d.detail for d in decisions],
            [d.status for d in decisions],
        )

    async def decisions(self, request_id: uuid.UUID) -> list[ErasureDecision]:
        rows = await self._conn.fetch(
            "SELECT claim_id, claim_status, code, detail FROM privacy_requests WHERE request_id = $1 ORDER BY claim_id",
            request_id,
        )
        return [_decision(row) for row in rows]

    async def held(self, claim_ids: Iterable[str]) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            "SELECT request_id, claim_id, action, decision, code, detail, claim_status, requested_by, legal_reason,"
            " decided_at FROM privacy_requests WHERE claim_id = ANY($1::text[]) ORDER BY decided_at, claim_id",
            sorted(set(claim_ids)),
        )
        return [dict(row) for row in rows]


def _decision(row: asyncpg.Record) -> ErasureDecision:
    words = row["detail"].split(" : ", 2)[-1] if row["code"] else ""
    return ErasureDecision(row["claim_id"], row["claim_status"], row["code"], words)
