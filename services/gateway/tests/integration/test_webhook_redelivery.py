"""Webhook deliveries that fail for good, on a real PostgreSQL to a real receiver: a delivery never answered 2xx
(here a redirect, which is never followed) gives up, is set aside and announced; an operator's release, from the
console's path or as the back-office's command, redelivers it journaled with who; a cancel leaves it failed."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import asyncpg
import pytest

from guichet_common.contracts.backoffice import CommandOutcomeV1, OperatorCommandV1
from guichet_common.operator_command_targets import operator_commands_for
from guichet_common.outbox import queued_messages
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.set_aside import Announcer, held_items
from guichet_common.set_aside_decisions import decide, owners
from guichet_common.settings import CommonSettings
from guichet_common.unit_of_work import announcing, open_unit_of_work
from guichet_deploy.procs import free_port
from guichet_gateway import operators
from guichet_gateway.unit_of_work import GatewayUnitOfWork

from .test_webhook_delivery import Receiver, consume, portal_with_claims, senders, settings, status, until

pytestmark = pytest.mark.integration


async def test_a_delivery_never_answered_2xx_fails_is_set_aside_and_an_operators_release_redelivers_it(
    gateway_pool: asyncpg.Pool,
) -> None:
    receiver = Receiver(free_port())
    await receiver.start()
    receiver.secret = await portal_with_claims(gateway_pool, "cci-beta", receiver.url("moved"), ["CFN-WH-GIVE-UP"])
    await consume(gateway_pool, [status("CFN-WH-GIVE-UP", "received")])
    try:
        async with senders(gateway_pool, settings(webhook_give_up_after_s=1.0), count=1):

            async def failed() -> bool:
                return await gateway_pool.fetchval("SELECT state FROM webhook_deliveries") == "failed"

            await until(failed)
            assert receiver.paths["/elsewhere"] == 0  # a redirect is an answer, never followed
            async with gateway_pool.acquire() as conn:
                (delivery,) = await operators.deliveries(conn, "cci-beta", state="failed", limit=10)
                journal = await operators.attempts(conn, delivery.delivery_id)
                (held,) = await held_items(conn, "webhook_delivery")
                announced = await conn.fetchval("SELECT count(*) FROM outbox WHERE topic = 'operations.set-aside.v1'")
            assert held.item_id == str(delivery.delivery_id) and "HTTP 307" in held.reason
            assert announced == 1
            assert len(journal) >= 2 and {a.http_status for a in journal} == {307}

            # The portal fixes its endpoint; an operator releases the item (as `guichet set-aside release` does).
            async with gateway_pool.acquire() as conn, conn.transaction():
                await conn.execute("UPDATE portals SET webhook_url = $1", receiver.url())
                owner = owners({"gateway": operators})["webhook_delivery"]
                await decide(
                    conn,
                    owner,
                    "webhook_delivery",
                    held.item_id,
                    "released",
                    "ops.alice",
                    "endpoint fixed",
                    announcer=Announcer("gateway"),
                )

            async def delivered() -> bool:
                return await gateway_pool.fetchval("SELECT state FROM webhook_deliveries") == "delivered"

            await until(delivered)
    finally:
        await receiver.stop()
    async with gateway_pool.acquire() as conn:
        journal = await operators.attempts(conn, delivery.delivery_id)
        assert await held_items(conn, "webhook_delivery") == []
    assert (journal[-1].http_status, journal[-1].redelivery_by) == (204, "ops.alice")
    assert all(attempt.redelivery_by is None for attempt in journal[:-1])
    assert len(receiver.by_id) == 1 and not receiver.duplicates


async def test_a_cancelled_delivery_stays_failed_and_a_direct_redelivery_names_the_operator(
    gateway_pool: asyncpg.Pool,
) -> None:
    receiver = Receiver(free_port())
    await receiver.start()
    receiver.secret = await portal_with_claims(gateway_pool, "cci-gamma", receiver.url(), ["CFN-WH-CANCEL"])
    receiver.down = True
    await consume(gateway_pool, [status("CFN-WH-CANCEL", "received")])
    try:
        async with senders(gateway_pool, settings(webhook_give_up_after_s=0.5), count=1):

            async def failed() -> bool:
                return await gateway_pool.fetchval("SELECT state FROM webhook_deliveries") == "failed"

            await until(failed)
            owner = owners({"gateway": operators})["webhook_delivery"]
            async with gateway_pool.acquire() as conn:
                (held,) = await held_items(conn, "webhook_delivery")
            async with gateway_pool.acquire() as conn, conn.transaction():
                await decide(
                    conn,
                    owner,
                    "webhook_delivery",
                    held.item_id,
                    "cancelled",
                    "ops.bob",
                    "portal closed",
                    announcer=Announcer("gateway"),
                )
            await asyncio.sleep(0.3)
            assert await gateway_pool.fetchval("SELECT state FROM webhook_deliveries") == "failed"
            receiver.down = False
            async with gateway_pool.acquire() as conn, conn.transaction():
                await operators.redeliver(conn, int(held.item_id), "ops.carol")

            async def delivered() -> bool:
                return await gateway_pool.fetchval("SELECT state FROM webhook_deliveries") == "delivered"

            await until(delivered)
    finally:
        await receiver.stop()
    async with gateway_pool.acquire() as conn:
        journal = await operators.attempts(conn, int(held.item_id))
    assert journal[-1].redelivery_by == "ops.carol" and len(receiver.by_id) == 1


async def test_the_back_offices_release_command_redelivers_a_failed_delivery(gateway_pool: asyncpg.Pool) -> None:
    await portal_with_claims(gateway_pool, "cci-delta", "http://127.0.0.1:9/hook", ["CFN-WH-COMMAND"])
    await consume(gateway_pool, [status("CFN-WH-COMMAND", "received")])
    async with gateway_pool.acquire() as conn:
        delivery_id = await conn.fetchval("SELECT delivery_id FROM webhook_deliveries")
        await conn.execute("UPDATE webhook_deliveries SET state = 'failed', failed_at = now()")
        await conn.execute(
            "INSERT INTO set_aside_items (kind, item_id, reason) VALUES ('webhook_delivery', $1, 'HTTP 503')",
            str(delivery_id),
        )
    commands = Subscription(
        use_case=operator_commands_for("gateway", CommonSettings(), operators).apply,
        decode=contract(OperatorCommandV1),
    )
    command = OperatorCommandV1.model_validate(
        {
            "event_id": uuid.uuid4(),
            "occurred_at": dt.datetime.now(dt.UTC),
            "service": "gateway",
            "action": "set_aside_release",
            "kind": "webhook_delivery",
            "target": str(delivery_id),
            "requested_by": "alice",
            "reason": "le portail a réparé son point d'accès",
        },
        strict=False,
    )
    record = InboundRecord("backoffice.gateway-commands.v1", 0, 0, None, command.model_dump_json().encode())
    async with open_unit_of_work(gateway_pool, announcing(GatewayUnitOfWork, "gateway", "")) as uow:
        await commands.apply(uow, [record])
    async with gateway_pool.acquire() as conn:
        (outcome,) = await queued_messages(conn, "operations.command-outcomes.v1")
        row = await conn.fetchrow(
            "SELECT state, redelivery_by, next_attempt_at <= now() AS due FROM webhook_deliveries"
        )
    assert CommandOutcomeV1.model_validate_json(outcome.value).outcome == "applied"
    assert dict(row) == {"state": "pending", "redelivery_by": "alice", "due": True}
