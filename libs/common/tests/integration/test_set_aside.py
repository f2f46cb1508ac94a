"""Set-aside items on real PostgreSQL: one failing item is rolled back alone, recorded once, and decided once."""

from __future__ import annotations

import asyncpg
import pytest

from guichet_common.set_aside import (
    SetAsideDecisionRefused,
    held_counts,
    held_items,
    record_decision,
    set_aside,
)
from guichet_common.unit_of_work import PostgresUnitOfWork

pytestmark = pytest.mark.integration


async def test_one_failing_item_is_set_aside_and_the_others_are_done(intake_pool: asyncpg.Pool) -> None:
    async with intake_pool.acquire() as conn, conn.transaction():
        await conn.execute("CREATE TEMP TABLE done_items (item text) ON COMMIT DROP")

        async def attempt(item: str) -> None:
            await conn.execute("INSERT INTO done_items VALUES ($1)", item)
            if item == "poison":
                raise ValueError("creditor_name '@#%*' has nothing left for jane.doe@example.org")

        async def aside(item: str, error: Exception) -> None:
            await set_aside(conn, "payment_attempt", item, error)

        done = await PostgresUnitOfWork(conn).item_by_item(["a", "poison", "b"], attempt, aside)
        assert done == 2
        # The failing item's own writes were rolled back with its savepoint; the others' kept.
        assert [r["item"] for r in await conn.fetch("SELECT item FROM done_items ORDER BY item")] == ["a", "b"]
        [held] = await held_items(conn)
    assert (held.kind, held.item_id, held.state) == ("payment_attempt", "poison", "held")
    assert "jane.doe@example.org" not in held.reason and held.reason.startswith("ValueError: creditor_name")


async def test_the_same_failure_is_new_only_once(intake_pool: asyncpg.Pool) -> None:
    async with intake_pool.acquire() as conn:
        assert await set_aside(conn, "email", "42", "header\r\nBcc: x") is True
        assert await set_aside(conn, "email", "42", "header\r\nBcc: x") is False
        [held] = await held_items(conn, "email")
        assert "\r" not in held.reason and "\\x0d\\x0a" in held.reason
        assert await held_counts(conn) == {"email": 1}


async def test_a_decision_needs_an_operator_and_a_reason_and_is_taken_once(intake_pool: asyncpg.Pool) -> None:
    async with intake_pool.acquire() as conn:
        await set_aside(conn, "outbox_row", "7", "refused by the broker")
        with pytest.raises(SetAsideDecisionRefused):
            await record_decision(conn, "outbox_row", "7", "released", "alice", "  ")
        decided = await record_decision(conn, "outbox_row", "7", "released", "alice", "topic recreated")
        assert (decided.state, decided.decided_by) == ("released", "alice")
        with pytest.raises(SetAsideDecisionRefused, match="not held"):
            await record_decision(conn, "outbox_row", "7", "cancelled", "bob", "too late")
        assert await held_counts(conn) == {}
        # Failing again after a release holds it again, and that is news worth one log line.
        assert await set_aside(conn, "outbox_row", "7", "refused again") is True
        assert await held_counts(conn) == {"outbox_row": 1}
