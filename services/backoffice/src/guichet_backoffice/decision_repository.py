"""Decisions people take, stored until complete or withdrawn (SQL for `commands`)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from guichet_backoffice.control_rules import ControlTerms
from guichet_backoffice.four_eyes import Action, Decision, NotPending

_COLUMNS = (
    "id, action, service, target, kind, codes, reason, state, requested_by, requested_at, seconded_by, closed_at,"
    " command_id, campaign_id, programme, seed, paid_before, outcome, reason_code, amount_undue_cents"
)
_TERMS = ("campaign_id", "programme", "seed", "paid_before", "outcome", "reason_code", "amount_undue_cents")


def _decision(row: asyncpg.Record) -> Decision:
    values = dict(row)
    terms = {name: values.pop(name) for name in _TERMS}
    control = ControlTerms(**terms) if any(value is not None for value in terms.values()) else None
    return Decision(
        **{**values, "action": Action(values["action"]), "codes": tuple(values["codes"]), "control": control}
    )


class DecisionRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(self, decision: Decision) -> None:
        """Store a new decision; refused while another one on the same thing waits for its second person."""
        try:
            async with self._conn.transaction():  # a savepoint: the caller's transaction survives the refusal
                await self._conn.execute(
                    f"INSERT INTO decisions ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
                    " $13, $14, $15, $16, $17, $18, $19, $20)",
                    decision.id,
                    decision.action.value,
                    decision.service,
                    decision.target,
                    decision.kind,
                    list(decision.codes),
                    decision.reason,
                    decision.state,
                    decision.requested_by,
                    decision.requested_at,
                    decision.seconded_by,
                    decision.closed_at,
                    decision.command_id,
                    *(getattr(decision.control, name, None) for name in _TERMS),
                )
        except asyncpg.UniqueViolationError as error:
            raise NotPending("Une décision sur cet élément attend déjà une seconde approbation.") from error

    async def get(self, decision_id: UUID) -> Decision | None:
        """The decision, locked until the transaction ends (two supervisors seconding at once: one wins)."""
        row = await self._conn.fetchrow(f"SELECT {_COLUMNS} FROM decisions WHERE id = $1 FOR UPDATE", decision_id)
        return _decision(row) if row else None

    async def save(self, decision: Decision) -> None:
        await self._conn.execute(
            "UPDATE decisions SET state = $2, seconded_by = $3, closed_at = $4, command_id = $5 WHERE id = $1",
            decision.id,
            decision.state,
            decision.seconded_by,
            decision.closed_at,
            decision.command_id,
        )

    async def pending(self, limit: int = 500) -> list[Decision]:
        rows = await self._conn.fetch(
            f"SELECT {_COLUMNS} FROM decisions WHERE state = 'pending' ORDER BY requested_at LIMIT $1", limit
        )
        return [_decision(r) for r in rows]

    async def recent(self, limit: int = 50) -> list[Decision]:
        rows = await self._conn.fetch(
            f"SELECT {_COLUMNS} FROM decisions WHERE state <> 'pending' ORDER BY closed_at DESC LIMIT $1", limit
        )
        return [_decision(r) for r in rows]

    # What the read model says of the thing decided on (its tables are the projection's, read only here).

    async def claim_under_review(self, claim_id: str) -> frozenset[str] | None:
        """The reason codes of a claim under review; None when the claim is unknown or not under review."""
        row = await self._conn.fetchrow("SELECT status, status_reasons FROM claims WHERE claim_id = $1", claim_id)
        if row is None or row["status"] != "under_review":
            return None
        return frozenset(row["status_reasons"])

    async def claim_under_control(self, claim_id: str) -> tuple[str, int] | None:
        """(campaign id, paid cents) of a claim under control without an outcome; None otherwise."""
        row = await self._conn.fetchrow(
            "SELECT campaign_id, paid_cents FROM controls WHERE claim_id = $1 AND outcome IS NULL", claim_id
        )
        return None if row is None else (row["campaign_id"], row["paid_cents"])

    async def dead_letter_owner(self, letter_id: str) -> str | None:
        """The service that owns (and may replay) a dead letter, by its id `<dlq topic>:<partition>:<offset>`."""
        owner: str | None = await self._conn.fetchval("SELECT owner FROM dead_letters WHERE id = $1", letter_id)
        return owner

    async def set_aside_held(self, service: str, kind: str, item_id: str) -> bool:
        state = await self._conn.fetchval(
            "SELECT state FROM service_set_aside WHERE service = $1 AND kind = $2 AND item_id = $3",
            service,
            kind,
            item_id,
        )
        return bool(state == "held")

    async def outcomes(self, command_ids: list[UUID]) -> dict[UUID, tuple[str, str]]:
        """What the owning services answered to these commands (operations.command-outcomes.v1): (outcome, detail)."""
        rows = await self._conn.fetch(
            "SELECT command_id, outcome, detail FROM command_outcomes WHERE command_id = ANY($1::uuid[])", command_ids
        )
        return {row["command_id"]: (row["outcome"], row["detail"]) for row in rows}
