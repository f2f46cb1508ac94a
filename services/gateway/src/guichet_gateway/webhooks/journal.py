"""The webhook journal for operators (through `guichet_gateway.operators`): each portal's deliveries and every
attempt, and redelivery. A delivery that failed for good is a set-aside item (kind `webhook_delivery`, its id the
delivery's number): releasing it redelivers it, cancelling it leaves it failed. Every function takes a connection
to the gateway's database; the caller owns the transaction."""

from __future__ import annotations

import asyncpg

from guichet_common.set_aside import Announcer, SetAsideDecisionRefused, is_held
from guichet_common.set_aside_decisions import Owner, decide
from guichet_gateway.webhooks.repository import AttemptRow, DeliveryRow, PostgresWebhooks
from guichet_gateway.webhooks.service import SET_ASIDE_KIND as KIND

STATES = ("pending", "delivered", "failed")


class RedeliveryRefused(SetAsideDecisionRefused):
    """Unknown delivery, a delivery that cannot be redelivered now, or no operator named."""


async def deliveries(
    conn: asyncpg.Connection, portal: str, *, state: str | None = None, limit: int = 100
) -> list[DeliveryRow]:
    """The portal's deliveries, newest first, of one state (pending, delivered, failed) or all."""
    if state is not None and state not in STATES:
        raise ValueError(f"a delivery is {', '.join(STATES)}, not {state!r}")
    return await PostgresWebhooks(conn).deliveries(portal, state, limit)


async def attempts(conn: asyncpg.Connection, delivery_id: int) -> list[AttemptRow]:
    """Every attempt of a delivery, first first: when, the HTTP status or the error class, how long, and who asked
    for it when an operator did."""
    return await PostgresWebhooks(conn).attempts(delivery_id)


async def redeliver(
    conn: asyncpg.Connection,
    delivery_id: int,
    who: str,
    *,
    reason: str = "redelivered by an operator",
    topic_prefix: str = "",
) -> str:
    """Send the delivery again now (same webhook-id: the receiver drops it if it had it), the attempt journaled with
    `who`. A failed delivery held as set aside is released as `guichet set-aside release` would (decision recorded
    and announced, so the back-office stops listing it); a delivered one is sent again; a pending one is brought
    forward."""
    if not who.strip():
        raise RedeliveryRefused("an operator must be named")
    if await is_held(conn, KIND, str(delivery_id)):
        owner = Owner(("gateway",), release_set_aside, cancel_set_aside)
        decided = await decide(
            conn, owner, KIND, str(delivery_id), "released", who, reason, announcer=Announcer("gateway", topic_prefix)
        )
        return decided.effect or ""
    return await _redeliver(conn, delivery_id, who.strip())


# `topic_prefix` is part of every owner's signature (`guichet_common.set_aside_decisions`); nothing else is announced.
async def release_set_aside(conn: asyncpg.Connection, kind: str, item_id: str, *, topic_prefix: str = "") -> str:
    """An operator released a failed delivery: redeliver it, naming the operator who decided (recorded just before
    in this transaction by `record_decision`)."""
    delivery_id = _delivery_id(kind, item_id)
    who = await conn.fetchval("SELECT decided_by FROM set_aside_items WHERE kind = $1 AND item_id = $2", kind, item_id)
    if await PostgresWebhooks(conn).state_of(delivery_id) != "failed":
        raise RedeliveryRefused(f"webhook delivery {delivery_id} has not failed")
    return await _redeliver(conn, delivery_id, who or "an operator")


async def cancel_set_aside(conn: asyncpg.Connection, kind: str, item_id: str, *, topic_prefix: str = "") -> str:
    """The delivery stays failed: the portal will not get this status by webhook (it can still read it with
    GET /v1/claims/{id})."""
    delivery_id = _delivery_id(kind, item_id)
    if await PostgresWebhooks(conn).state_of(delivery_id) != "failed":
        raise RedeliveryRefused(f"webhook delivery {delivery_id} has not failed")
    return f"webhook delivery {delivery_id} stays failed: it will not be sent again"


async def _redeliver(conn: asyncpg.Connection, delivery_id: int, who: str) -> str:
    if not await PostgresWebhooks(conn).redeliver(delivery_id, who):
        raise RedeliveryRefused(f"no webhook delivery {delivery_id}")
    return f"webhook delivery {delivery_id} will be sent again now"


def _delivery_id(kind: str, item_id: str) -> int:
    if kind != KIND:
        raise RedeliveryRefused(f"the gateway sets aside webhook deliveries only, not {kind!r}")
    if not item_id.isascii() or not item_id.isdigit() or len(item_id) > 18:
        raise RedeliveryRefused("a webhook delivery is named by its number")
    return int(item_id)
