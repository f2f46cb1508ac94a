"""What an operator's decision on a payments item set aside does (`guichet set-aside release|cancel`).

Called by the console in the transaction that records the decision (`guichet_common.set_aside.record_decision`),
so the item's own state and the decision change together or not at all. Kinds owned here:

- `payment_attempt` (item id `<payment_id>:<attempt>`, blocked by the batcher because it cannot go into a SEPA
  file). Release: back to `scheduled`, in the next file; the portal is told the block is over (`payment_scheduled`
  without reason). Cancel: the attempt is `cancelled`, the payment `released`, its grant goes back to the envelope
  and to the oldest waiting claims, and the claim is announced `rejected` with `PAYMENT_CANCELLED`: the applicant
  will not be paid under this claim, and the portal and the e-mail must say so rather than leave it scheduled.
- `return_expiry` (item id `<payment_id>`, a returned payment whose expiry could not be applied). Release: the
  return-expiry job tries it again. Cancel: it is never expired automatically; it stays `returned`, holding its
  reservation, until new bank details re-issue it.
"""

from __future__ import annotations

import datetime as dt

import asyncpg
import structlog

from guichet_common.outbox import write_outbox
from guichet_payments.batching import PAYMENT_ATTEMPT
from guichet_payments.domain import AttemptState, PaymentState
from guichet_payments.events import Announcer
from guichet_payments.service import PaymentsService
from guichet_payments.settlement import RETURN_EXPIRY
from guichet_payments.unit_of_work import PaymentsUnitOfWork

log = structlog.get_logger()
KINDS = (PAYMENT_ATTEMPT, RETURN_EXPIRY)
PAYMENT_CANCELLED = "PAYMENT_CANCELLED"


class NotSetAsideHere(ValueError):
    """The item is not in the state its set-aside record says (or not a payments kind): nothing is changed."""


async def release(conn: asyncpg.Connection, kind: str, item_id: str, *, topic_prefix: str = "") -> str:
    """Put the item back in its job's queue; returns what was done, in words."""
    if kind == PAYMENT_ATTEMPT:
        row = await _attempt(conn, item_id, AttemptState.SCHEDULED)
        await write_outbox(
            conn,
            [
                Announcer(topic_prefix).status(
                    claim_id=row["claim_id"],
                    programme=row["programme"],
                    siren=row["siren"],
                    status="payment_scheduled",
                    amount_cents=row["amount_cents"],
                    payment_id=row["payment_id"],
                    now=dt.datetime.now(dt.UTC),
                )
            ],
        )
        return "back in the queue of the next SEPA file"
    if kind == RETURN_EXPIRY:
        await _expiry(conn, item_id, set_aside=False)
        return "back in the return-expiry job's queue"
    raise NotSetAsideHere(f"payments owns no kind {kind!r}")


async def cancel(conn: asyncpg.Connection, kind: str, item_id: str, *, topic_prefix: str = "") -> str:
    """Give the item up for good; returns what was done, in words."""
    if kind == PAYMENT_ATTEMPT:
        row = await _attempt(conn, item_id, AttemptState.CANCELLED)
        released = await conn.fetchval(
            "UPDATE payments SET status = $3 WHERE payment_id = $1 AND attempt = $2 AND status = $4"
            " RETURNING payment_id",
            row["payment_id"],
            row["attempt"],
            PaymentState.RELEASED,
            PaymentState.SCHEDULED,
        )
        if released is None:
            raise NotSetAsideHere(f"payment {row['payment_id']} is no longer waiting for attempt {row['attempt']}")
        # The console's transaction: the unit of work is only a way to reach the repositories, it never commits.
        uow = PaymentsUnitOfWork(conn)
        await uow.budgets.release(row["programme"], row["amount_cents"])
        payments = PaymentsService(programmes={}, topic_prefix=topic_prefix)
        rejected = Announcer(topic_prefix).status(
            claim_id=row["claim_id"],
            programme=row["programme"],
            siren=row["siren"],
            status="rejected",
            reasons=[PAYMENT_CANCELLED],
            payment_id=row["payment_id"],
            now=payments.clock(),
        )
        await write_outbox(conn, [rejected, *await payments.promote_waiting(uow, row["programme"])])
        log.info("payment_cancelled", claim_id=row["claim_id"], payment_id=row["payment_id"])
        return "cancelled; its grant went back to the envelope"
    if kind == RETURN_EXPIRY:
        await _expiry(conn, item_id, set_aside=True)
        return "left returned, without expiry, until new bank details arrive"
    raise NotSetAsideHere(f"payments owns no kind {kind!r}")


async def _attempt(conn: asyncpg.Connection, item_id: str, new_status: AttemptState) -> asyncpg.Record:
    payment_id, _, attempt = item_id.rpartition(":")
    if not payment_id or not attempt.isdigit():
        raise NotSetAsideHere(f"{item_id!r} is not <payment_id>:<attempt>")
    row = await conn.fetchrow(
        "UPDATE payment_attempts a SET status = $3 FROM payments p"
        " WHERE a.payment_id = $1 AND a.attempt = $2 AND a.status = $4 AND p.payment_id = a.payment_id"
        " RETURNING a.payment_id, a.attempt, a.amount_cents, p.claim_id, p.programme, p.siren",
        payment_id,
        int(attempt),
        new_status,
        AttemptState.BLOCKED,
    )
    if row is None:
        raise NotSetAsideHere(f"attempt {item_id} is not blocked")
    return row


async def _expiry(conn: asyncpg.Connection, payment_id: str, *, set_aside: bool) -> None:
    found = await conn.fetchval(
        "UPDATE payments SET expiry_set_aside = $2 WHERE payment_id = $1 AND status = $3 RETURNING payment_id",
        payment_id,
        set_aside,
        PaymentState.RETURNED,
    )
    if found is None:
        raise NotSetAsideHere(f"payment {payment_id} is not returned")
