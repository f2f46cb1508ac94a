"""The adversarial scenario's short run inside `make test`: a few hundred hostile claims, registry records, bank
details, settlements and headers, each published right after the normal claim whose key it shares, on a stack of
its own. `make chaos CHAOS_ARGS='--only hostile'` runs it with 10,000 hostile records."""

from __future__ import annotations

import pytest
from guichet_chaos.faults import HOSTILE
from guichet_chaos.hostile_run import SHORT_RUN_INPUTS, hostile_table
from guichet_chaos.runner import run_suite, table

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]

NORMAL_CLAIMS = 60


@pytest.mark.timeout(480)  # a stalled stack waits for its claims, then reports: the report must get printed
async def test_hostile_records_never_stop_normal_claims_nor_happen_twice(infra) -> None:
    if infra.pg_admin_dsn is None:
        pytest.skip("the failure suite creates its own databases and needs an admin DSN")
    [figures] = await run_suite(infra, [HOSTILE], claims=NORMAL_CLAIMS, seed=11, hostile_inputs=SHORT_RUN_INPUTS)
    report = table([figures]) + "\n\n" + hostile_table([figures])
    print("\n" + report)
    hostile = figures.hostile

    assert hostile.tried >= SHORT_RUN_INPUTS, report
    assert hostile.normal_claims == NORMAL_CLAIMS
    assert hostile.normal_stalled == 0, report
    assert hostile.normal_without_email == 0, report
    assert figures.lost == 0, report
    assert hostile.duplicate_effects == 0, report
    assert hostile.repeated_job_failures == 0, report
    assert hostile.outcomes["unresolved"] == 0, report
    # Each family of hostility ended somewhere visible: refused, dead-lettered, set aside or decided.
    assert hostile.outcomes["refused"] > 0 and hostile.outcomes["dead-lettered"] > 0, report
    assert "all alive" in figures.notes, report
