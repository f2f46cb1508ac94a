"""The webhooks' SQL: statuses kept, deliveries owed, taken, journaled and redelivered. Works on the connection of
one unit of work (or of the console's transaction, for the journal)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from guichet_gateway.webhooks.domain import AttemptResult, DueDelivery, Next, StatusToKeep

# One statement per batch: the batch's statuses of the gateway's claims go into `statuses` in the batch's order
# (seq), and each one whose portal has a webhook gets a pending delivery, due at once. A disabled portal gets no new
# deliveries: its claims' history is kept, but nothing more is pushed to it.
_KEEP_STATUSES = """
WITH batch AS (
    SELECT b.event_id, b.claim_id, b.status, b.occurred_at, $5::jsonb -> (b.n - 1)::int AS payload, b.n
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY
         AS b (event_id, claim_id, status, occurred_at, n)
), ours AS (
    SELECT batch.*, claims.portal FROM batch JOIN claims USING (claim_id)
), kept AS (
    INSERT INTO statuses (event_id, claim_id, status, occurred_at, payload)
    SELECT event_id, claim_id, status, occurred_at, payload FROM ours ORDER BY n
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id, seq, claim_id
), owed AS (
    INSERT INTO webhook_deliveries (portal, claim_id, event_id, seq, state, created_at, next_attempt_at)
    SELECT DISTINCT ours.portal, kept.claim_id, kept.event_id, kept.seq, 'pending', $6::timestamptz, $6::timestamptz
    FROM kept JOIN ours USING (event_id) JOIN portals ON portals.name = ours.portal
    WHERE portals.webhook_url IS NOT NULL AND portals.disabled_at IS NULL
    ON CONFLICT (portal, event_id) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM kept) AS kept, (SELECT count(*) FROM owed) AS owed
"""

# Of each claim, its oldest pending delivery only, and only when due: a claim whose older delivery waits for a
# retry sends nothing newer meanwhile (`domain.first_in_line`). SKIP LOCKED: another gateway process's sender works
# on other claims; it cannot take a newer delivery of a claim locked here, whose older one is still pending.
_TAKE_DUE = """
SELECT d.delivery_id, d.portal, d.claim_id, d.event_id, d.seq, d.attempts,
       coalesce(d.redelivered_at, d.created_at) AS window_started_at, d.redelivery_by,
       p.webhook_url AS url, p.webhook_secret AS secret, s.payload
FROM webhook_deliveries d
JOIN portals p ON p.name = d.portal
JOIN statuses s ON s.event_id = d.event_id
WHERE d.state = 'pending' AND d.next_attempt_at <= $1
  AND NOT EXISTS (
      SELECT 1 FROM webhook_deliveries older
      WHERE older.claim_id = d.claim_id AND older.state = 'pending' AND older.seq < d.seq)
ORDER BY d.next_attempt_at, d.seq
LIMIT $2
FOR UPDATE OF d SKIP LOCKED
"""

_RECORD_ATTEMPT = """
WITH journal AS (
    INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, http_status, error, duration_ms, redelivery_by)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
)
UPDATE webhook_deliveries
SET attempts = $2, state = $8, next_attempt_at = $9, redelivery_by = NULL,
    delivered_at = CASE WHEN $8 = 'delivered' THEN $9 ELSE delivered_at END,
    failed_at = CASE WHEN $8 = 'failed' THEN $9 END
WHERE delivery_id = $1
"""


@dataclass(frozen=True)
class DeliveryRow:
    delivery_id: int
    portal: str
    claim_id: str
    event_id: UUID
    status: str
    state: str
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    delivered_at: dt.datetime | None
    failed_at: dt.datetime | None
    redelivered_at: dt.datetime | None


@dataclass(frozen=True)
class AttemptRow:
    delivery_id: int
    attempt: int
    attempted_at: dt.datetime
    http_status: int | None
    error: str | None
    duration_ms: int
    redelivery_by: str | None


class PostgresWebhooks:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._conn = connection

    async def keep_statuses(self, statuses: Sequence[StatusToKeep], now: dt.datetime) -> tuple[int, int]:
        row = await self._conn.fetchrow(
            _KEEP_STATUSES,
            [s.event_id for s in statuses],
            [s.claim_id for s in statuses],
            [s.status for s in statuses],
            [s.occurred_at for s in statuses],
            [s.payload for s in statuses],  # one JSON list: jsonb arrays of documents do not unnest as simply
            now,
        )
        assert row is not None  # an aggregate query returns its one row
        return row["kept"], row["owed"]

    async def take_due(self, now: dt.datetime, limit: int) -> list[DueDelivery]:
        return [DueDelivery(**dict(row)) for row in await self._conn.fetch(_TAKE_DUE, now, limit)]

    async def record_attempt(
        self, delivery: DueDelivery, attempted_at: dt.datetime, result: AttemptResult, after: Next
    ) -> None:
        await self._conn.execute(
            _RECORD_ATTEMPT,
            delivery.delivery_id,
            delivery.attempts + 1,
            attempted_at,
            result.http_status,
            result.error,
            result.duration_ms,
            delivery.redelivery_by,
            after.state,
            after.next_attempt_at,
        )

    # --- the journal and operators' redeliveries ---

    async def deliveries(self, portal: str, state: str | None, limit: int) -> list[DeliveryRow]:
        rows = await self._conn.fetch(
            "SELECT d.delivery_id, d.portal, d.claim_id, d.event_id, s.status, d.state, d.attempts, d.created_at,"
            "       d.next_attempt_at, d.delivered_at, d.failed_at, d.redelivered_at"
            " FROM webhook_deliveries d JOIN statuses s ON s.event_id = d.event_id"
            " WHERE d.portal = $1 AND ($2::text IS NULL OR d.state = $2)"
            " ORDER BY d.delivery_id DESC LIMIT $3",
            portal,
            state,
            limit,
        )
        return [DeliveryRow(**dict(row)) for row in rows]

    async def attempts(self, delivery_id: int) -> list[AttemptRow]:
        rows = await self._conn.fetch(
            "SELECT delivery_id, attempt, attempted_at, http_status, error, duration_ms, redelivery_by"
            " FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt",
            delivery_id,
        )
        return [AttemptRow(**dict(row)) for row in rows]

    async def state_of(self, delivery_id: int) -> str | None:
        state: str | None = await self._conn.fetchval(
            "SELECT state FROM webhook_deliveries WHERE delivery_id = $1", delivery_id
        )
        return state

    async def redeliver(self, delivery_id: int, who: str) -> bool:
        """Pending again and due now (database time, as the rest of an operator's transaction), with a fresh
        give-up window; the next attempt's journal row names `who`."""
        done = await self._conn.fetchval(
            "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = now(), redelivered_at = now(),"
            "   redelivery_by = $2, failed_at = NULL"
            " WHERE delivery_id = $1 RETURNING delivery_id",
            delivery_id,
            who,
        )
        return done is not None
