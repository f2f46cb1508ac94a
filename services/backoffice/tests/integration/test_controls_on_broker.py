"""The back-office as a process on a real broker follows payments' controls and recovery orders: a record delivered
twice is projected once, and one it cannot read is set aside here (payments.controls.v1 is not its to dead-letter)."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from guichet_backoffice.domain import UNPROJECTABLE_RECORD

from ..unit.control_events import decided, recovery, selected
from .test_projection_on_broker import backoffice, until  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.integration


async def test_controls_and_recovery_steps_delivered_twice_are_projected_once(
    backoffice: tuple[str, str],  # noqa: F811
    backoffice_pool: asyncpg.Pool,
    probe: Any,
) -> None:
    prefix, _ = backoffice

    def value(event: Any) -> tuple[bytes, bytes]:
        return event.claim_id.encode(), event.model_dump_json().encode()

    story = [selected("CLAIM-301"), decided("CLAIM-301", "non_compliant", reason_code="CONTROL_INVOICE_UNPAID")]
    steps = [recovery("CLAIM-301", "issued", 20), recovery("CLAIM-301", "repayment", 30, repaid=60_000)]
    await probe.publish(prefix + "payments.controls.v1", [value(e) for e in story] * 2 + [(b"CLAIM-301", b"{ x")])
    await probe.publish(prefix + "payments.recovery-orders.v1", [value(s) for s in steps] * 2)
    last = recovery("CLAIM-301", "settled", 31, repaid=60_000)  # after the copies, on the same partition
    await probe.publish(prefix + "payments.recovery-orders.v1", [value(last)])

    async def projected() -> bool:
        async with backoffice_pool.acquire() as conn:
            return bool(
                await conn.fetchval(
                    "SELECT (SELECT count(*) FROM recovery_orders WHERE state = 'settled') = 1"
                    " AND (SELECT count(*) FROM set_aside_items WHERE kind = $1) = 1",
                    UNPROJECTABLE_RECORD,
                )
            )

    await until(projected, what="projected")
    async with backoffice_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM control_events") == 2
        assert await conn.fetchval("SELECT count(*) FROM recovery_steps") == 3
        assert await conn.fetchval("SELECT outcome FROM controls WHERE claim_id = 'CLAIM-301'") == "non_compliant"
    written = await probe.read_until(prefix + "payments.controls.v1.dlq", lambda records: bool(records), timeout_s=3.0)
    assert written == []
