"""Outbox rows the broker refuses on their own, held so that the rows behind them go out (kind `outbox_row`).

The relay holds a row (`hold_outbox_row`) when publishing it alone fails for a reason of its own: a topic the
service may not write, a record too large, a topic that does not exist. The console decides what becomes of it:
`release_outbox_row` puts it back in the relay's queue (after the ACL or the topic was fixed), `cancel_outbox_row`
deletes it. Both are the effect of a decision the console records with `set_aside.record_decision`, in the same
transaction.
"""

from __future__ import annotations

import asyncpg

from guichet_common.outbox import OUTBOX_CHANNEL
from guichet_common.set_aside import SetAsideDecisionRefused, set_aside

KIND = "outbox_row"


async def hold_outbox_row(conn: asyncpg.Connection, outbox_id: int, reason: BaseException | str) -> bool:
    """Take the row out of the relay's queue and set it aside with its reason. True when it is news (log it)."""
    await conn.execute("UPDATE outbox SET held = true WHERE id = $1", outbox_id)
    return await set_aside(conn, KIND, str(outbox_id), reason)


async def release_outbox_row(conn: asyncpg.Connection, item_id: str) -> None:
    """Back in the queue: the relay publishes it with the next batch, in id order."""
    if await conn.fetchval("UPDATE outbox SET held = false WHERE id = $1 AND held RETURNING id", _id(item_id)) is None:
        raise SetAsideDecisionRefused(f"outbox row {item_id} is not held")
    await conn.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)  # wake the relay once this commits


async def cancel_outbox_row(conn: asyncpg.Connection, item_id: str) -> None:
    """Never published: the row is deleted (the set-aside record keeps who cancelled it and why)."""
    if await conn.fetchval("DELETE FROM outbox WHERE id = $1 AND held RETURNING id", _id(item_id)) is None:
        raise SetAsideDecisionRefused(f"outbox row {item_id} is not held")


def _id(item_id: str) -> int:
    text = item_id.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 18):  # a bigserial
        raise SetAsideDecisionRefused(f"{item_id[:40]!r} is not an outbox row id")
    return int(text)
