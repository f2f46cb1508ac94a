"""Two instances of every service on a 3-broker KRaft cluster: mid-stream, one instance of each service and one
broker are killed with -9. The surviving instances take the dead ones' partitions over (consumer group
rebalance), the cluster carries on with two of three replicas (min ISR 2) and the broker comes back later; every
claim must still reach its final status exactly once, with no second payment, e-mail or budget overshoot."""

from __future__ import annotations

import pytest
from guichet_chaos.faults import MULTI_INSTANCE_CLUSTER
from guichet_chaos.runner import run_suite, table

from guichet_deploy.scratch import PIPELINE

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]

CLAIMS = 300


async def test_survivors_take_over_without_loss_or_duplicate_when_instances_and_a_broker_die(infra) -> None:
    if infra.pg_admin_dsn is None:
        pytest.skip("the failure suite creates its own databases and needs an admin DSN")
    [figures] = await run_suite(infra, [MULTI_INSTANCE_CLUSTER], claims=CLAIMS)
    print("\n" + table([figures]))

    assert figures.published == CLAIMS
    assert figures.lost == 0, table([figures])
    assert figures.duplicate_statuses == 0, table([figures])
    assert figures.duplicate_payments == 0, table([figures])
    assert figures.duplicate_emails == 0, table([figures])
    assert figures.overshoot_cents == 0, table([figures])
    # The fault really struck mid-stream: one instance of each service was left dead, some claims were final
    # before it and the others only after it, which only the survivors (now holding every partition) could do.
    killed = next(note for note in figures.notes if note.startswith("killed for good: "))
    assert {name.rsplit("-", 1)[0] for name in killed.removeprefix("killed for good: ").split(", ")} == set(PIPELINE)
    assert figures.final_after_fault is not None and 0 < figures.final_after_fault < CLAIMS, figures.notes
    assert "all alive" in figures.notes, figures.notes  # every survivor lived through the broker's loss
    assert figures.graceful_exit, figures.notes
