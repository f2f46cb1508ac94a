"""The read model's writes for controls and recovery orders (payments' events), on one unit of work's connection.

As the other projections: once per event (its id), a current value moves only to a newer event's, rows are written
in key order. A claim's outcome may arrive before its selection (a replayed topic): each writes its own columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from guichet_backoffice.controls_model import ControlChange, RecoveryStep

_SELECTED = (
    "INSERT INTO controls (claim_id, campaign_id, programme, siren, payment_id, paid_cents, grounds, reply_by,"
    " selected_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    " ON CONFLICT (claim_id) DO UPDATE SET grounds = EXCLUDED.grounds, reply_by = EXCLUDED.reply_by,"
    " selected_at = EXCLUDED.selected_at"
)
_OUTCOME = (
    "INSERT INTO controls (claim_id, campaign_id, programme, siren, payment_id, paid_cents, outcome, reason_code,"
    " amount_undue_cents, recovery_order_id, decided_by, seconded_by, decided_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    " ON CONFLICT (claim_id) DO UPDATE SET outcome = EXCLUDED.outcome, reason_code = EXCLUDED.reason_code,"
    " amount_undue_cents = EXCLUDED.amount_undue_cents, recovery_order_id = EXCLUDED.recovery_order_id,"
    " decided_by = EXCLUDED.decided_by, seconded_by = EXCLUDED.seconded_by, decided_at = EXCLUDED.decided_at"
)
_ORDER = (
    "INSERT INTO recovery_orders (order_id, claim_id, programme, siren, payment_id, reason_code, amount_cents,"
    " repaid_cents, outstanding_cents, issued_on, due_on, payment_reference, reminders, state, last_step, as_of)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    " ON CONFLICT (order_id) DO UPDATE SET repaid_cents = EXCLUDED.repaid_cents,"
    " outstanding_cents = EXCLUDED.outstanding_cents, due_on = EXCLUDED.due_on,"
    " reminders = GREATEST(recovery_orders.reminders, EXCLUDED.reminders), state = EXCLUDED.state,"
    " last_step = EXCLUDED.last_step, as_of = EXCLUDED.as_of"
    " WHERE recovery_orders.as_of <= EXCLUDED.as_of"
)


class ControlsRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def record_controls(self, changes: Sequence[ControlChange]) -> None:
        ordered = sorted(changes, key=lambda c: (c.claim_id, c.occurred_at))
        await self._conn.executemany(
            "INSERT INTO control_events (event_id, claim_id, campaign_id, kind, grounds, reply_by, outcome,"
            " reason_code, amount_undue_cents, recovery_order_id, decided_by, seconded_by, occurred_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (event_id) DO NOTHING",
            [
                (
                    *(c.event_id, c.claim_id, c.campaign_id, c.kind, list(c.grounds), c.reply_by, c.outcome),
                    *(c.reason_code, c.amount_undue_cents, c.recovery_order_id, c.decided_by, c.seconded_by),
                    c.occurred_at,
                )
                for c in ordered
            ],
        )
        common = [(c, (c.claim_id, c.campaign_id, c.programme, c.siren, c.payment_id, c.paid_cents)) for c in ordered]
        await self._conn.executemany(
            _SELECTED,
            [(*row, list(c.grounds), c.reply_by, c.occurred_at) for c, row in common if c.kind == "selected"],
        )
        await self._conn.executemany(
            _OUTCOME,
            [
                (
                    *row,
                    *(c.outcome, c.reason_code, c.amount_undue_cents, c.recovery_order_id, c.decided_by),
                    *(c.seconded_by, c.occurred_at),
                )
                for c, row in common
                if c.kind == "outcome"
            ],
        )

    async def record_recovery_steps(self, steps: Sequence[RecoveryStep]) -> None:
        ordered = sorted(steps, key=lambda s: (s.order_id, s.occurred_at))
        await self._conn.executemany(
            "INSERT INTO recovery_steps (event_id, order_id, claim_id, step, reminder, repayment_cents, repaid_cents,"
            " outstanding_cents, returned_to_envelope, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            " ON CONFLICT (event_id) DO NOTHING",
            [
                (
                    *(s.event_id, s.order_id, s.claim_id, s.step, s.reminder, s.repayment_cents, s.repaid_cents),
                    *(s.outstanding_cents, s.returned_to_envelope, s.occurred_at),
                )
                for s in ordered
            ],
        )
        await self._conn.executemany(
            _ORDER,
            [
                (
                    *(s.order_id, s.claim_id, s.programme, s.siren, s.payment_id, s.reason_code, s.amount_cents),
                    *(s.repaid_cents, s.outstanding_cents, s.issued_on, s.due_on, s.payment_reference),
                    *(s.reminder or 0, s.state, s.step, s.occurred_at),
                )
                for s in ordered
            ],
        )
