"""Two payments instances at once on the real broker and database: the envelope is never exceeded, exactly
floor(total / grant) claims are reserved, the rest wait, and a returned-then-expired payment promotes the oldest
waiting claim."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import asyncpg
import pytest

from guichet_common.contracts import ClaimDecidedV1, PaymentSettlementV1

pytestmark = pytest.mark.e2e
T0 = dt.datetime(2021, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))
CLAIMS = 12


def approval(n: int) -> tuple[bytes, bytes]:
    siren = f"{200000000 + n}"
    event = ClaimDecidedV1(
        event_id=uuid.uuid4(),
        occurred_at=T0,
        correlation_id=uuid.uuid4(),
        claim_id=f"CFN-PAIR-{n:07d}",
        programme="cheque-france-num-2021",
        siren=siren,
        decision="approved",
        rule_version="2021-01-28",
        grant_amount_cents=50_000,
        submitted_at=T0 + dt.timedelta(minutes=n),
        beneficiary_name="BOUTIQUE TEST",
        iban="FR7693233145437431125912957",
    )
    return siren.encode(), event.model_dump_json().encode()


def latest_statuses(records) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    for record in records:
        value = json.loads(record.value)
        seen.setdefault(value["claim_id"], []).append(value["status"])
    return seen


async def test_two_instances_share_the_envelope_without_overshoot(payments_pair, probe) -> None:
    await probe.publish(payments_pair.topic("eligibility.decisions.v1"), [approval(n) for n in range(CLAIMS)])
    status_topic = payments_pair.topic("claims.status.v1")

    def all_placed(records) -> bool:
        seen = latest_statuses(records)
        return len(seen) == CLAIMS and sum("payment_sent" in s for s in seen.values()) == 5

    seen = latest_statuses(await probe.read_until(status_topic, all_placed, timeout_s=60))
    scheduled = sorted(c for c, s in seen.items() if "payment_scheduled" in s)
    waiting = sorted(c for c, s in seen.items() if s == ["waitlisted"])
    assert (len(scheduled), len(waiting)) == (250_000 // 50_000, CLAIMS - 5)

    conn = await asyncpg.connect(payments_pair.database_url)
    try:
        money = await conn.fetchrow("SELECT total_cents, reserved_cents FROM budgets")
        assert money["reserved_cents"] == 250_000 <= money["total_cents"]
        issued = await probe.read_until(payments_pair.topic("payments.issued.v1"), lambda rs: len(rs) >= 5, 30)
        first = json.loads(issued[0].value)
        returned = PaymentSettlementV1(
            event_id=uuid.uuid4(),
            occurred_at=T0,
            payment_id=first["payment_id"],
            status="returned",
            return_reason_code="AC04",
            attempt=1,
        )
        await probe.publish(
            payments_pair.topic("payments.settlements.v1"),
            [(first["payment_id"].encode(), returned.model_dump_json().encode())],
        )

        # Nobody sends new bank details: after the (shortened) expiry the money goes to the oldest waiting claim.
        oldest = min(waiting)  # claim numbers follow submission times
        seen = latest_statuses(
            await probe.read_until(
                status_topic, lambda rs: "payment_scheduled" in latest_statuses(rs).get(oldest, []), timeout_s=60
            )
        )
        assert seen[first["claim_id"]][-1] == "payment_returned"
        assert seen[oldest][:2] == ["waitlisted", "payment_scheduled"]
        assert all(seen[c] == ["waitlisted"] for c in waiting if c != oldest)
        money = await conn.fetchrow("SELECT total_cents, reserved_cents, released_cents FROM budgets")
        assert (money["reserved_cents"], money["released_cents"]) == (250_000, 50_000)
    finally:
        await conn.close()
    assert all(p.poll() is None for p in payments_pair.processes)
    # Both instances did part of the work (the group split the partitions between them).
    for log in sorted(payments_pair.logs.glob("payments-*.log")):
        text = log.read_text(errors="replace")
        assert "payment_scheduled" in text or "claim_waitlisted" in text, f"{log.name} handled nothing"
