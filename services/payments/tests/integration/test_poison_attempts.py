"""A payment attempt that cannot go into a SEPA file never stops the programme's files: the batcher writes the
file for the others, blocks that attempt with its reason, says so once, and an operator releases or cancels it.

The hostile values reach payments as approvals that bypass intake's canonical forms (already stored data, or a
future bug): a name with nothing in the SEPA character set, an IBAN holding a no-break space or a tab, a BIC the
pain.001 schema refuses."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import asyncpg
import pytest
from structlog.testing import capture_logs

from guichet_common.contracts import ClaimDecidedV1
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.set_aside import SetAsideDecisionRefused, held_items, record_decision
from guichet_common.unit_of_work import open_unit_of_work
from guichet_payments import sepa, set_aside_repository
from guichet_payments.batching import Batcher
from guichet_payments.service import PaymentsService
from guichet_payments.unit_of_work import PaymentsUnitOfWork

pytestmark = pytest.mark.integration
PROGRAMME = "cheque-france-num-2021"
T0 = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)
GOOD_IBAN = "FR7693233145437431125912957"
HOSTILE = {
    "name": dict(beneficiary_name="@#%*"),
    "nbsp": dict(iban="FR76\u00a09323 3145 4374 3112 5912 957"),
    "tab": dict(iban="FR76\t93233145437431125912957"),
    "bic": dict(bic="AAAAFR1A"),
}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def approval(n: int, **overrides: str) -> InboundRecord:
    fields = dict(beneficiary_name="BOUTIQUE TEST", iban=GOOD_IBAN) | overrides
    event = ClaimDecidedV1(
        event_id=uuid.uuid4(),
        occurred_at=T0,
        correlation_id=uuid.uuid4(),
        claim_id=f"CFN-POISON-{n:07d}",
        programme=PROGRAMME,
        siren=f"{200000000 + n}",
        decision="approved",
        rule_version="2021-01-28",
        grant_amount_cents=50_000,
        submitted_at=T0 + dt.timedelta(seconds=n),
        **fields,
    )
    return InboundRecord("eligibility.decisions.v1", 0, n, event.siren.encode(), event.model_dump_json().encode())


async def run(pool: asyncpg.Pool, job, *args) -> object:
    """A use case or a background job in one committed unit of work, as the service runs it."""
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        done = await job(uow, *args)
        await uow.commit()
        return done


async def on_connection(pool: asyncpg.Pool, step) -> object:
    """What the console does: its own transaction on a bare connection."""
    async with pool.acquire() as conn, conn.transaction():
        return await step(conn)


async def statuses(pool: asyncpg.Pool) -> list[tuple[str, str, list[str]]]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE topic = 'claims.status.v1' ORDER BY id")
    return [(v["claim_id"], v["status"], v["reasons"]) for v in (json.loads(r["value"]) for r in rows)]


@pytest.fixture
def programmes():
    from guichet_common.settings import project_root
    from guichet_programme import load_programme

    return {PROGRAMME: load_programme(project_root() / "programmes" / f"{PROGRAMME}.toml")}


async def mixed_programme(pool: asyncpg.Pool, programmes, tmp_path: Path) -> tuple[PaymentsService, Batcher, Clock]:
    clock = Clock()
    payments = PaymentsService(programmes=programmes, clock=clock)
    await run(pool, payments.open_envelopes)
    records = [approval(1), *(approval(10 + i, **v) for i, v in enumerate(HOSTILE.values())), approval(2)]
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        await Subscription(payments.apply_approvals, contract(ClaimDecidedV1)).apply(uow, records)
    clock.now += dt.timedelta(seconds=10)
    return payments, Batcher(programmes, tmp_path, max_size=50, clock=clock), clock


async def test_one_poison_attempt_among_normal_ones_still_gets_its_sepa_file(
    payments_pool: asyncpg.Pool, programmes, tmp_path: Path
) -> None:
    _, batcher, _ = await mixed_programme(payments_pool, programmes, tmp_path)
    with capture_logs() as logs:
        assert await run(payments_pool, batcher.close_due_batches) == 1
        assert await run(payments_pool, batcher.close_due_batches) == 0  # blocked ones are out of the queue
    [batch] = await payments_pool.fetch("SELECT * FROM batches")
    xml = Path(batch["file_path"]).read_bytes()
    assert (sepa.transaction_count(xml), sepa.control_sum_cents(xml)) == (2, 100_000)
    attempts = await payments_pool.fetch(
        "SELECT p.claim_id, a.status FROM payment_attempts a JOIN payments p USING (payment_id) ORDER BY p.claim_id"
    )
    assert {r["claim_id"][-2:]: r["status"] for r in attempts} == {
        "01": "sent",
        "02": "sent",
        **{f"{10 + i}": "blocked" for i in range(len(HOSTILE))},
    }
    held = await held_items(payments_pool)
    assert sorted(h.kind for h in held) == ["payment_attempt"] * len(HOSTILE)
    assert all(":" in h.item_id and h.item_id.endswith(":1") for h in held)
    reasons = " ".join(h.reason for h in held)
    assert "nothing left in the SEPA character set" in reasons and "@#%*" not in reasons and "AAAAFR1A" not in reasons
    set_aside_logs = [entry for entry in logs if entry["event"] == "item_set_aside"]
    assert len(set_aside_logs) == len(HOSTILE)
    blocked = [(c[-2:], s, r) for c, s, r in await statuses(payments_pool) if r == ["PAYMENT_BLOCKED"]]
    assert sorted(blocked) == [(f"{10 + i}", "payment_scheduled", ["PAYMENT_BLOCKED"]) for i in range(len(HOSTILE))]
    sent = [c[-2:] for c, s, _ in await statuses(payments_pool) if s == "payment_sent"]
    assert sorted(sent) == ["01", "02"]


async def test_a_released_attempt_that_fails_again_is_held_and_logged_once_more(
    payments_pool: asyncpg.Pool, programmes, tmp_path: Path
) -> None:
    _, batcher, _ = await mixed_programme(payments_pool, programmes, tmp_path)
    await run(payments_pool, batcher.close_due_batches)
    item = next(h for h in await held_items(payments_pool))

    async def release(conn: asyncpg.Connection) -> None:
        await record_decision(conn, item.kind, item.item_id, "released", "alice", "bank details checked")
        await set_aside_repository.release(conn, item.kind, item.item_id)

    await on_connection(payments_pool, release)
    with capture_logs() as logs:
        assert await run(payments_pool, batcher.close_due_batches) == 1
        assert await run(payments_pool, batcher.close_due_batches) == 0
    assert [entry["item_id"] for entry in logs if entry["event"] == "item_set_aside"] == [item.item_id]
    with pytest.raises(SetAsideDecisionRefused):
        await on_connection(
            payments_pool, lambda conn: record_decision(conn, item.kind, "P-NOPE:1", "released", "a", "b")
        )


async def test_a_cancelled_attempt_gives_its_grant_back_to_the_envelope_and_the_claim_is_told(
    payments_pool: asyncpg.Pool, programmes, tmp_path: Path
) -> None:
    _, batcher, _ = await mixed_programme(payments_pool, programmes, tmp_path)
    await run(payments_pool, batcher.close_due_batches)
    reserved = await payments_pool.fetchval("SELECT reserved_cents FROM budgets")
    item = (await held_items(payments_pool))[0]

    async def cancel(conn: asyncpg.Connection) -> None:
        await record_decision(conn, item.kind, item.item_id, "cancelled", "alice", "no usable bank details")
        await set_aside_repository.cancel(conn, item.kind, item.item_id)

    await on_connection(payments_pool, cancel)
    payment_id = item.item_id.split(":")[0]
    row = await payments_pool.fetchrow(
        "SELECT p.status, a.status AS attempt_status, p.claim_id FROM payments p JOIN payment_attempts a"
        " USING (payment_id) WHERE payment_id = $1",
        payment_id,
    )
    assert (row["status"], row["attempt_status"]) == ("released", "cancelled")
    money = await payments_pool.fetchrow("SELECT reserved_cents, released_cents FROM budgets")
    assert (money["reserved_cents"], money["released_cents"]) == (reserved - 50_000, 50_000)
    assert (row["claim_id"], "rejected", ["PAYMENT_CANCELLED"]) in await statuses(payments_pool)
    with pytest.raises(SetAsideDecisionRefused, match="not held"):
        await on_connection(payments_pool, cancel)
