"""A small run of `make bench` (about 1,000 claims): it must complete and write well-formed results.

Nothing here judges speed: figures depend on the machine, and a test asserting them would fail for the wrong
reasons. The figures themselves are read from `bench/results/latest.json` by people.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guichet_bench.__main__ import main

pytestmark = [pytest.mark.e2e, pytest.mark.bench]  # `make bench` runs it before measuring; `make test` does not
SERVICES = {"intake", "eligibility", "payments-1", "notifications"}


def test_a_small_bench_completes_and_writes_well_formed_results(infra, tmp_path: Path) -> None:
    out = tmp_path / "results" / "latest.json"
    code = main(["--claims", "1000", "--rate", "100", "--latency-seconds", "3", "--out", str(out), "--timeout", "300"])

    assert code == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["claims"] == 1000
    assert sum(result["final_statuses"].values()) == 1000
    for key in ("seconds", "claims_per_s", "transport_msgs_per_s", "ratio"):
        assert isinstance(result[key], float) and result[key] > 0, key
    assert result["ratio"] == pytest.approx(result["claims_per_s"] / result["transport_msgs_per_s"], rel=0.01)
    latency = result["latency_ms"]
    assert latency["claims"] == 300
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"]
    assert set(result["rss_mb"]) == SERVICES and all(mb > 0 for mb in result["rss_mb"].values())
    assert set(result["cpu_s"]) == SERVICES
    assert result["database_bytes_per_claim"] > 0
    assert result["transport"]["messages"] == 1000 and result["transport"]["hops"] == 3
    assert result["errors_in_logs"] == 0 and result["dead_letters"] == 0  # synthetic claims are all well formed
