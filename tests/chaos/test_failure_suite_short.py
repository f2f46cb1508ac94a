"""The short failure suite inside `make test`: services killed with -9, the outbox relay dying between publish
and mark, the whole input published twice and a poison corpus, each while claims flow on real infrastructure.
`make chaos` runs every fault, broker and database restarts included."""

from __future__ import annotations

import pytest
from guichet_chaos.faults import SHORT
from guichet_chaos.runner import run_suite, table

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]


async def test_no_claim_lost_nothing_done_twice_under_the_short_failure_suite(infra) -> None:
    if infra.pg_admin_dsn is None:
        pytest.skip("the failure suite creates its own databases and needs an admin DSN")
    results = await run_suite(infra, list(SHORT), claims=120)
    print("\n" + table(results))
    for figures in results:
        assert figures.ok, table(results)
        assert figures.published == 120
        assert "all alive" in figures.notes
        assert figures.graceful_exit, figures.notes
    poison = next(f for f in results if f.scenario == "poison corpus interleaved")
    assert poison.dead_letters == 9  # 2 rounds of 5 unreadable values; the wrong-schema one twice is one event
    relay = next(f for f in results if f.scenario == "relay dies between publish and delete")
    assert any("delivered again" in note for note in relay.notes), "the failure point never fired"
