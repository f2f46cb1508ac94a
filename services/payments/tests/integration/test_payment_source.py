"""The claim's `source` on real PostgreSQL (issue 17): kept with the payment and read back for the statuses of
later moves (a payment sent in a file names its portal as its scheduling did); none for an approval without one."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import asyncpg
import pytest

from guichet_common.records import InboundRecord
from guichet_payments.batching import Batcher

from .test_envelope import BASE, Clock, approval, consume, open_envelope, run

pytestmark = pytest.mark.integration


def from_portal(n: int, source: str) -> InboundRecord:
    record = approval(n)
    value = {**json.loads(record.value or b"{}"), "source": source}
    return InboundRecord(record.topic, 0, n, record.key, json.dumps(value).encode())


async def test_a_payment_s_statuses_name_the_portal_of_its_claim(payments_pool: asyncpg.Pool, tmp_path: Path) -> None:
    clock = Clock()
    payments = await open_envelope(payments_pool, BASE, clock)
    await consume(payments_pool, payments.apply_approvals, [from_portal(1, "beta"), approval(2)])
    clock.now += dt.timedelta(hours=1)
    await run(payments_pool, Batcher({BASE.id: BASE}, tmp_path, max_size=10, clock=clock).close_due_batches)
    rows = await payments_pool.fetch("SELECT value FROM outbox WHERE topic = 'claims.status.v1' ORDER BY id")
    announced = [(v["claim_id"], v["status"], v.get("source")) for v in (json.loads(r["value"]) for r in rows)]
    assert sorted(announced, key=lambda a: (a[1] == "payment_sent", a[0])) == [
        ("CFN-TEST-0000001", "payment_scheduled", "beta"),
        ("CFN-TEST-0000002", "payment_scheduled", None),
        ("CFN-TEST-0000001", "payment_sent", "beta"),
        ("CFN-TEST-0000002", "payment_sent", None),
    ]
