"""What an operator's decision on a payments item set aside does (`guichet set-aside release|cancel`): the use cases
of `guichet_payments.decisions`, on the console's connection.

Called by the console in the transaction that records the decision (`guichet_common.set_aside.record_decision`),
so the item's own state, what is announced and the decision change together or not at all: the console commits.
"""

from __future__ import annotations

import asyncpg

from guichet_common.outbox import write_outbox
from guichet_payments import decisions
from guichet_payments.decisions import KINDS, PAYMENT_CANCELLED, NotSetAsideHere
from guichet_payments.service import PaymentsService
from guichet_payments.unit_of_work import PaymentsUnitOfWork

__all__ = ["KINDS", "PAYMENT_CANCELLED", "NotSetAsideHere", "cancel", "release"]


async def release(
    conn: asyncpg.Connection, kind: str, item_id: str, *, topic_prefix: str = "", assign_to: str | None = None
) -> str:
    """Put the item back in its job's queue, or settle a bank entry (to `assign_to`'s attempt, if given); returns
    what was done, in words."""
    uow = PaymentsUnitOfWork(conn)
    payments = PaymentsService(programmes={}, topic_prefix=topic_prefix)
    done = await decisions.release(uow, payments, kind, item_id, assign_to)
    await write_outbox(conn, uow.published)  # in the console's transaction, which it commits
    return done


async def cancel(conn: asyncpg.Connection, kind: str, item_id: str, *, topic_prefix: str = "") -> str:
    """Give the item up for good; returns what was done, in words."""
    uow = PaymentsUnitOfWork(conn)
    done = await decisions.cancel(uow, PaymentsService(programmes={}, topic_prefix=topic_prefix), kind, item_id)
    await write_outbox(conn, uow.published)  # in the console's transaction, which it commits
    return done
