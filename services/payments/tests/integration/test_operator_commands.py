"""A blocked payment decided from the back-office: payments applies the command itself, through its inbox, with the
effect `guichet set-aside` has, and releases (sends money) only when a second person seconded the request."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from guichet_common.contracts.backoffice import CommandOutcomeV1, OperatorCommandV1, SetAsideV1
from guichet_common.operator_command_targets import operator_commands_for
from guichet_common.outbox import queued_messages
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.set_aside import held_items
from guichet_common.settings import CommonSettings, project_root
from guichet_common.unit_of_work import announcing, open_unit_of_work
from guichet_payments import operators
from guichet_payments.unit_of_work import PaymentsUnitOfWork
from guichet_programme import load_programme

from .test_poison_attempts import PROGRAMME, mixed_programme, run

pytestmark = pytest.mark.integration
COMMANDS = Subscription(
    use_case=operator_commands_for("payments", CommonSettings(), operators).apply, decode=contract(OperatorCommandV1)
)


@pytest.fixture
def programmes():
    return {PROGRAMME: load_programme(project_root() / "programmes" / f"{PROGRAMME}.toml")}


def command(**fields: Any) -> OperatorCommandV1:
    values: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "occurred_at": dt.datetime.now(dt.UTC),
        "service": "payments",
        "requested_by": "alice",
        "reason": "bank details checked with the company",
    }
    return OperatorCommandV1.model_validate(values | fields, strict=False)


async def apply(pool: asyncpg.Pool, *sent: OperatorCommandV1) -> list[CommandOutcomeV1]:
    records = [
        InboundRecord("backoffice.payments-commands.v1", 0, n, None, c.model_dump_json().encode())
        for n, c in enumerate(sent)
    ]
    async with open_unit_of_work(pool, announcing(PaymentsUnitOfWork, "payments", "")) as uow:
        await COMMANDS.apply(uow, records)
    async with pool.acquire() as conn:
        queued = await queued_messages(conn, "operations.command-outcomes.v1")
    return [CommandOutcomeV1.model_validate_json(m.value) for m in queued]


async def test_a_blocked_payment_is_released_only_when_seconded_then_tried_again(
    payments_pool: asyncpg.Pool, programmes, tmp_path: Path
) -> None:
    _, batcher, _ = await mixed_programme(payments_pool, programmes, tmp_path)
    await run(payments_pool, batcher.close_due_batches)
    item = (await held_items(payments_pool))[0]
    alone = command(action="set_aside_release", kind=item.kind, target=item.item_id)
    seconded = command(action="set_aside_release", kind=item.kind, target=item.item_id, seconded_by="bob")
    refused, applied = await apply(payments_pool, alone, seconded, seconded)
    assert (refused.command_id, refused.outcome) == (alone.event_id, "refused") and "quatre yeux" in refused.detail
    assert (applied.command_id, applied.outcome) == (seconded.event_id, "applied")
    decided = await payments_pool.fetchrow(
        "SELECT state, decided_by, seconded_by, decision_reason FROM set_aside_items WHERE item_id = $1", item.item_id
    )
    assert dict(decided) == {
        "state": "released",
        "decided_by": "alice",
        "seconded_by": "bob",
        "decision_reason": "bank details checked with the company",
    }
    async with payments_pool.acquire() as conn:
        [announced] = await queued_messages(conn, "operations.set-aside.v1")
    assert announced.key == f"payments:payment_attempt:{item.item_id}".encode()
    assert SetAsideV1.model_validate_json(announced.value).state == "released"
    # Back in the batcher's queue: it fails again on its own values and is held again.
    assert await run(payments_pool, batcher.close_due_batches) == 1
    assert item.item_id in {held.item_id for held in await held_items(payments_pool)}


async def test_a_blocked_payment_is_cancelled_by_one_person_and_its_grant_goes_back(
    payments_pool: asyncpg.Pool, programmes, tmp_path: Path
) -> None:
    _, batcher, _ = await mixed_programme(payments_pool, programmes, tmp_path)
    await run(payments_pool, batcher.close_due_batches)
    released_before = await payments_pool.fetchval("SELECT released_cents FROM budgets")
    item = (await held_items(payments_pool))[0]
    [outcome] = await apply(payments_pool, command(action="set_aside_cancel", kind=item.kind, target=item.item_id))
    assert outcome.outcome == "applied"
    assert await payments_pool.fetchval("SELECT released_cents FROM budgets") == released_before + 50_000
