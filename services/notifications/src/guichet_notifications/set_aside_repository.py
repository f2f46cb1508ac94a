"""What an operator's decision on a set-aside e-mail does to it (the decision itself is recorded by
`guichet_common.set_aside.record_decision`, in the same transaction, by the console's `guichet set-aside`)."""

from __future__ import annotations

import asyncpg

from guichet_common.set_aside import SetAsideDecisionRefused
from guichet_notifications.service import SET_ASIDE_KIND as KIND


# `topic_prefix` is part of every owner's signature (`guichet set-aside` passes it); an e-mail announces nothing.
async def release(conn: asyncpg.Connection, kind: str, item_id: str, *, topic_prefix: str = "") -> str:
    """Back to the queue, to be tried again at once (after the operator fixed what made it fail)."""
    await _decide(conn, kind, item_id, "UPDATE emails SET state = 'pending', next_attempt_at = now()")
    return f"e-mail {item_id} is back in the queue"


async def cancel(conn: asyncpg.Connection, kind: str, item_id: str, *, topic_prefix: str = "") -> str:
    """Never sent: the e-mail stays on record as 'cancelled'."""
    await _decide(conn, kind, item_id, "UPDATE emails SET state = 'cancelled'")
    return f"e-mail {item_id} is cancelled: it will never be sent"


async def _decide(conn: asyncpg.Connection, kind: str, item_id: str, update: str) -> None:
    if kind != KIND:
        raise SetAsideDecisionRefused(f"notifications sets aside e-mails only, not {kind!r}")
    if not item_id.isascii() or not item_id.isdigit():
        raise SetAsideDecisionRefused("an e-mail is named by its number")
    # Only a set-aside ('failed') e-mail: one that is pending, in doubt or sent must not be touched.
    done = await conn.fetchval(update + " WHERE id = $1 AND state = 'failed' RETURNING id", int(item_id))
    if done is None:
        raise SetAsideDecisionRefused(f"e-mail {item_id} is not set aside")
