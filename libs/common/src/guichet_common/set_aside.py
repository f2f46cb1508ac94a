"""Items a background job set aside: the one bad row that must not stop everybody behind it.

A job (batcher, sweep, sender, relay) that fails on a batch tries its items one by one (`UnitOfWork.item_by_item`).
An item that fails on its own is set aside, here and in its own table, in the same transaction, and the job carries
on.
Operators see set-aside items by kind (`guichet status`, `/metrics`, the alerts, the back-office) and release or
cancel them; what a decision does to the item itself belongs to the service that owns it
(`guichet_common.set_aside_decisions`). Both an item newly held and a decision on it are announced on
`operations.set-aside.v1` (`Announcer`), in the same transaction, for the back-office's read model.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal

import asyncpg

from guichet_common.contracts.backoffice import SET_ASIDE_TOPIC, SetAsideV1
from guichet_common.logging import mask_text
from guichet_common.outbox import OutboxMessage
from guichet_common.safe_text import printable

Decision = Literal["released", "cancelled"]
REASON_MAX_LENGTH = 500


class SetAsideDecisionRefused(ValueError):
    """The decision cannot be recorded: unknown item, not held any more, or no operator or reason given."""


@dataclass(frozen=True)
class SetAsideItem:
    kind: str
    item_id: str
    reason: str
    set_aside_at: dt.datetime
    state: str
    decided_by: str | None = None
    decision_reason: str | None = None
    decided_at: dt.datetime | None = None
    seconded_by: str | None = None  # under four eyes, the second person (common-006)


@dataclass(frozen=True)
class Announcer:
    """Who announces set-aside items, and where: the service holding them and its deployment's topic prefix."""

    service: str
    topic_prefix: str = ""

    def held(self, kind: str, item_id: str, reason: BaseException | str) -> OutboxMessage:
        """An item newly set aside, with why (`stored_reason`: no personal data)."""
        return self._message(kind, item_id, "held", stored_reason(reason), None)

    def decided(self, item: SetAsideItem) -> OutboxMessage:
        """An operator's decision on an item (`record_decision`'s result)."""
        state = "released" if item.state == "released" else "cancelled"
        return self._message(item.kind, item.item_id, state, item.decision_reason or "", item.decided_by)

    def _message(self, kind: str, item_id: str, state: str, reason: str, decided_by: str | None) -> OutboxMessage:
        event = SetAsideV1.model_validate(
            {
                "event_id": uuid.uuid4(),
                "occurred_at": dt.datetime.now(dt.UTC),
                "service": self.service,
                "kind": kind,
                "item_id": item_id,
                "state": state,
                "reason": reason,
                "decided_by": decided_by,
            },
            strict=False,  # a UUID object for the id: the strict mode is for JSON from outside
        )
        return OutboxMessage.of_event(self.topic_prefix + SET_ASIDE_TOPIC, f"{self.service}:{kind}:{item_id}", event)


def stored_reason(error: BaseException | str) -> str:
    """What is kept of a failure: no personal data, no control characters, bounded."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return printable(mask_text(text), REASON_MAX_LENGTH)


async def set_aside(conn: asyncpg.Connection, kind: str, item_id: str, reason: BaseException | str) -> bool:
    """Record `item_id` as held. True when it was not held already: only then should the caller log it, so one
    item's failure is never logged twice in a row."""
    previous: str | None = await conn.fetchval(
        "SELECT state FROM set_aside_items WHERE kind = $1 AND item_id = $2 FOR UPDATE", kind, item_id
    )
    await conn.execute(
        "INSERT INTO set_aside_items (kind, item_id, reason) VALUES ($1, $2, $3)"
        " ON CONFLICT (kind, item_id) DO UPDATE SET reason = EXCLUDED.reason, state = 'held',"
        "   set_aside_at = now(), decided_by = NULL, decision_reason = NULL, decided_at = NULL, seconded_by = NULL",
        kind,
        item_id,
        stored_reason(reason),
    )
    return previous != "held"


async def held_counts(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT kind, count(*) AS n FROM set_aside_items WHERE state = 'held' GROUP BY kind")
    return {row["kind"]: row["n"] for row in rows}


async def held_items(conn: asyncpg.Connection, kind: str | None = None, limit: int = 100) -> list[SetAsideItem]:
    rows = await conn.fetch(
        "SELECT * FROM set_aside_items WHERE state = 'held' AND ($1::text IS NULL OR kind = $1)"
        " ORDER BY set_aside_at, kind, item_id LIMIT $2",
        kind,
        limit,
    )
    return [SetAsideItem(**dict(row)) for row in rows]


async def is_held(conn: asyncpg.Connection, kind: str, item_id: str) -> bool:
    """Whether the item is set aside and waits for an operator's decision (the console asks each service that may
    hold a kind every service has)."""
    found = await conn.fetchval(
        "SELECT true FROM set_aside_items WHERE kind = $1 AND item_id = $2 AND state = 'held'", kind, item_id
    )
    return found is True


async def record_decision(
    conn: asyncpg.Connection,
    kind: str,
    item_id: str,
    decision: Decision,
    operator: str,
    reason: str,
    *,
    seconded_by: str | None = None,
) -> SetAsideItem:
    """Release (try again) or cancel a held item, once; call in the transaction that applies the decision.
    `seconded_by`: the second person of a four-eyes decision, never the operator."""
    if not operator.strip() or not reason.strip():
        raise SetAsideDecisionRefused("an operator and a reason are required")
    second = seconded_by.strip() if seconded_by else None
    if second is not None and second == operator.strip():
        raise SetAsideDecisionRefused("the second person must not be the operator")
    row = await conn.fetchrow(
        "UPDATE set_aside_items SET state = $3, decided_by = $4, decision_reason = $5, decided_at = now(),"
        "   seconded_by = $6"
        " WHERE kind = $1 AND item_id = $2 AND state = 'held' RETURNING *",
        kind,
        item_id,
        decision,
        operator.strip(),
        printable(reason.strip(), REASON_MAX_LENGTH),
        second,
    )
    if row is None:
        raise SetAsideDecisionRefused(f"{kind} {printable(item_id, 80)} is not held")
    return SetAsideItem(**dict(row))
