"""The read model's writes for operations: dead letters, the services' set-aside items, command outcomes."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from guichet_backoffice.domain import CommandOutcome, DeadLetter, SetAsideChange
from guichet_backoffice.repository import latest_by


class OperationsRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def record_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        await self._conn.executemany(
            "INSERT INTO dead_letters (dlq_topic, dlq_partition, dlq_offset, owner, original_topic, original_partition,"
            " original_offset, reason, attempts, key, value, headers, dead_lettered_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING",
            [
                (
                    d.dlq_topic,
                    d.dlq_partition,
                    d.dlq_offset,
                    d.owner,
                    d.original_topic,
                    d.original_partition,
                    d.original_offset,
                    d.reason,
                    d.attempts,
                    d.key,
                    d.value,
                    d.headers,
                    d.dead_lettered_at,
                )
                for d in sorted(letters, key=lambda d: (d.dlq_topic, d.dlq_partition, d.dlq_offset))
            ],
        )

    async def record_set_aside(self, changes: Sequence[SetAsideChange]) -> None:
        # An item held again after a decision starts a new wait: its set_aside_at moves, the old decision goes.
        await self._conn.executemany(
            "INSERT INTO service_set_aside AS s (service, kind, item_id, state, reason, decided_by, decision_reason,"
            " set_aside_at, state_at) VALUES ($1, $2, $3, $4, CASE WHEN $4 = 'held' THEN $5 ELSE '' END, $6,"
            " CASE WHEN $4 = 'held' THEN NULL ELSE $5 END, $7, $7)"
            " ON CONFLICT (service, kind, item_id) DO UPDATE SET state = EXCLUDED.state,"
            " reason = CASE WHEN EXCLUDED.state = 'held' THEN EXCLUDED.reason ELSE s.reason END,"
            " decided_by = EXCLUDED.decided_by, decision_reason = EXCLUDED.decision_reason,"
            " set_aside_at = CASE WHEN EXCLUDED.state = 'held' AND s.state <> 'held' THEN EXCLUDED.state_at"
            "   ELSE s.set_aside_at END,"
            " state_at = EXCLUDED.state_at"
            " WHERE EXCLUDED.state_at >= s.state_at",
            [
                (c.service, c.kind, c.item_id, c.state, c.reason, c.decided_by, c.occurred_at)
                for c in latest_by(changes, lambda c: (c.service, c.kind, c.item_id), lambda c: c.occurred_at)
            ],
        )

    async def record_outcomes(self, outcomes: Sequence[CommandOutcome]) -> None:
        await self._conn.executemany(
            "INSERT INTO command_outcomes (command_id, service, outcome, detail, occurred_at)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (command_id) DO NOTHING",
            [(o.command_id, o.service, o.outcome, o.detail, o.occurred_at) for o in outcomes],
        )
