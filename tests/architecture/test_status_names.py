"""A claim's statuses are named once, by `ClaimStatus` in the claims.status.v1 contract: the tools' own sets of
final or decided statuses are subsets of it, so a renamed or misspelt status fails here instead of making a
tool wait forever for a status that never comes."""

from __future__ import annotations

from typing import get_args

import pytest
from guichet_chaos import checker, hostile_run

from guichet_bench.load import BENCH_FINAL_STATUSES
from guichet_common.contracts.status import CLAIM_STATUSES, ClaimStatus
from guichet_simulator import demo, generator, watch

TOOL_STATUS_SETS = {
    "guichet_bench.load.BENCH_FINAL_STATUSES": BENCH_FINAL_STATUSES,
    "guichet_chaos.checker.FINAL": checker.FINAL,
    "guichet_chaos.hostile_run._DECIDED": hostile_run._DECIDED,
    "guichet_simulator.watch.FINAL_STATUSES": watch.FINAL_STATUSES,
    "guichet_simulator.demo.STATUS_ORDER": frozenset(demo.STATUS_ORDER),
    "guichet_simulator.generator expected statuses": frozenset(
        [generator.GOOD_STATUS, *(problem.expected_status for problem in generator.Problem)]
    ),
}


def test_the_status_set_is_the_contracts_literal() -> None:
    assert frozenset(get_args(ClaimStatus)) == CLAIM_STATUSES


@pytest.mark.parametrize("name", sorted(TOOL_STATUS_SETS))
def test_a_tools_statuses_are_claim_statuses(name: str) -> None:
    assert TOOL_STATUS_SETS[name] - CLAIM_STATUSES == frozenset()
