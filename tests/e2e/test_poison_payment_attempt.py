"""On the running stack: approvals published straight to eligibility.decisions.v1 (past intake's canonical forms,
as already-stored data or a future bug would bring them) with values no SEPA file can hold do not stop the
programme's files. The normal approvals published around them are paid into a file; the hostile ones stay
payment_scheduled with PAYMENT_BLOCKED, set aside once each, and the batcher never fails."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import time
import uuid

import pytest

from guichet_common.contracts import ClaimDecidedV1
from guichet_simulator.identifiers import random_siren

pytestmark = pytest.mark.e2e
HOSTILE = [
    {"beneficiary_name": "@#%*"},
    {"iban": "FR76\u00a093233145437431125912957"},
    {"iban": "FR76\t93233145437431125912957"},
    {"bic": "AAAAFR1A"},
]


def approval(tag: str, rng: random.Random, **overrides: str) -> ClaimDecidedV1:
    now = dt.datetime.now(dt.UTC)
    fields = {"beneficiary_name": "BOUTIQUE TEST", "iban": "FR7693233145437431125912957"} | overrides
    return ClaimDecidedV1(
        event_id=uuid.uuid4(),
        occurred_at=now,
        correlation_id=uuid.uuid4(),
        claim_id=f"CFN-POISON-{tag}-{uuid.uuid4().hex[:8]}",
        programme="cheque-france-num-2021",
        siren=random_siren(rng),
        decision="approved",
        rule_version="2021-01-28",
        grant_amount_cents=50_000,
        submitted_at=now,
        **fields,
    )


async def test_hostile_approvals_are_blocked_and_the_normal_ones_around_them_are_paid(stack, probe) -> None:
    rng = random.Random()
    normal = [approval(f"OK{n}", rng) for n in range(2)]
    hostile = [approval(f"BAD{n}", rng, **values) for n, values in enumerate(HOSTILE)]
    events = [normal[0], *hostile, normal[1]]
    await probe.publish(
        stack.topic("eligibility.decisions.v1"), [(e.siren.encode(), e.model_dump_json().encode()) for e in events]
    )
    wanted = {e.claim_id for e in events}

    def statuses(records) -> dict[str, list[tuple[str, list[str]]]]:
        seen: dict[str, list[tuple[str, list[str]]]] = {}
        for record in records:
            value = json.loads(record.value)
            if value["claim_id"] in wanted:
                seen.setdefault(value["claim_id"], []).append((value["status"], value["reasons"]))
        return seen

    def settled(records) -> bool:
        seen = statuses(records)
        return all(("payment_sent", []) in seen.get(e.claim_id, []) for e in normal) and all(
            ("payment_scheduled", ["PAYMENT_BLOCKED"]) in seen.get(e.claim_id, []) for e in hostile
        )

    records = await probe.read_until(stack.topic("claims.status.v1"), settled, timeout_s=90)
    seen = statuses(records)
    assert settled(records), seen
    assert all(not any(s == "payment_sent" for s, _ in seen[e.claim_id]) for e in hostile)

    # A few more batcher rounds: the blocked attempts are not tried, logged or announced again.
    await asyncio.sleep(2.0)
    deadline = time.monotonic() + 10
    while "item_set_aside" not in stack.log_text() and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    lines = [json.loads(line) for line in stack.log_text().splitlines() if '"item_set_aside"' in line]
    ours = [line for line in lines if line.get("claim_id") in wanted]
    assert sorted(line["claim_id"] for line in ours) == sorted(e.claim_id for e in hostile)
    failures = [line for line in stack.log_text().splitlines() if "background_job_failed" in line and "batcher" in line]
    assert failures == []
