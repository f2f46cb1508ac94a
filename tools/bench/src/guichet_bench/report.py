"""The results of a run: a table for people, `bench/results/latest.json` for tools and comparisons."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from guichet_bench.load import percentile
from guichet_bench.runner import BenchRun


def results(run: BenchRun) -> dict[str, Any]:
    claims = run.options.claims
    claims_per_s = claims / run.throughput_seconds if run.throughput_seconds else 0.0
    transport = run.transport.messages_per_s if run.transport else 0.0
    total_db = sum(run.database_bytes.values())
    return {
        "claims": claims,
        "instances": run.options.instances,  # of every service
        "kafka_nodes": run.options.kafka_nodes,
        "seconds": round(run.throughput_seconds, 3),
        "claims_per_s": round(claims_per_s, 1),
        "transport_msgs_per_s": round(transport, 1),
        "ratio": round(claims_per_s / transport, 3) if transport else 0.0,
        "latency_ms": {
            "offered_claims_per_s": run.options.rate,
            "claims": run.latency_claims,
            **_percentiles_ms(run.latencies_s),
            # Claims whose company is missing from the registry wait ELIGIBILITY_REGISTRY_GRACE_S on purpose.
            "held_for_registry": run.latency_claims - len(run.latencies_not_held_s),
            **_percentiles_ms(run.latencies_not_held_s, suffix="_not_held"),
            "median_to_status": dict(sorted(run.stage_ms.items(), key=lambda item: item[1])),
        },
        "rss_mb": {name: round(mb, 1) for name, mb in run.peak_rss_mb.items()},
        "rss_growth_pct": _rss_growth(run),
        "cpu_s": {name: round(seconds, 1) for name, seconds in run.cpu_s.items()},
        # Per service, its instances together: compares runs with different --instances.
        "cpu_s_by_service": _by_service(run.cpu_s),
        "machine_cpu_s_by_program": {name: round(seconds, 1) for name, seconds in run.cpu_by_program.items()},
        "database_bytes_per_claim": round(total_db / run.claims_in_databases) if run.claims_in_databases else None,
        "database_mb": {name: round(size / 2**20, 1) for name, size in run.database_bytes.items()},
        "final_statuses": run.statuses,
        "errors_in_logs": run.log_errors,
        "dead_letters": run.dead_letters,
        "transport": {
            "messages": run.transport.messages,
            "hops": run.transport.hops,
            "message_bytes": run.transport.message_bytes,
            "seconds": round(run.transport.seconds, 3),
        }
        if run.transport
        else None,
        "machine": {
            "hostname": platform.node(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _by_service(per_process: dict[str, float]) -> dict[str, float]:
    """`payments-1` and `payments-2` summed as `payments`."""
    totals: dict[str, float] = {}
    for name, value in per_process.items():
        service = name.split("-")[0]
        totals[service] = totals.get(service, 0.0) + value
    return {service: round(value, 1) for service, value in totals.items()}


def _percentiles_ms(seconds: list[float], suffix: str = "") -> dict[str, float | None]:
    return {
        f"{name}{suffix}": round(percentile(seconds, fraction) * 1000, 1) if seconds else None
        for name, fraction in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))
    }


def _rss_growth(run: BenchRun) -> dict[str, float]:
    """Per service: resident memory at the end vs. at a tenth of the backlog (100,000 of 1,000,000), in %."""
    if len(run.rss_series) < 2:
        return {}
    tenth = next((rss for final, rss in run.rss_series if final >= run.options.claims / 10), run.rss_series[0][1])
    end = run.rss_series[-1][1]
    return {name: round((end[name] - tenth[name]) / tenth[name] * 100, 1) for name in end if tenth.get(name)}


def write(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


def table(result: dict[str, Any]) -> str:
    latency = result["latency_ms"]
    rows = [
        ("claims (backlog)", f"{result['claims']:,}"),
        ("instances of each service, Kafka nodes", f"{result['instances']}, {result['kafka_nodes']}"),
        ("seconds to the last final status", f"{result['seconds']:,.1f}"),
        ("throughput, claims/s end to end", f"{result['claims_per_s']:,.0f}"),
        ("transport limit, messages/s", f"{result['transport_msgs_per_s']:,.0f}"),
        ("pipeline / transport limit", f"{result['ratio']:.2f}"),
        (
            f"latency at {latency['offered_claims_per_s']:g} claims/s, ms",
            f"p50 {latency['p50']}  p95 {latency['p95']}  p99 {latency['p99']}  ({latency['claims']:,} claims)",
        ),
        (
            f"  without the {latency['held_for_registry']:,} held for the registry",
            f"p50 {latency['p50_not_held']}  p95 {latency['p95_not_held']}  p99 {latency['p99_not_held']}",
        ),
        (
            "  median from publish to each status, ms",
            ", ".join(f"{status} {ms:,.0f}" for status, ms in latency["median_to_status"].items()),
        ),
        ("database bytes per claim", f"{result['database_bytes_per_claim']:,}"),
    ]
    for name in result["rss_mb"]:
        growth = result["rss_growth_pct"].get(name)
        rows.append(
            (
                f"  {name}",
                f"peak RSS {result['rss_mb'][name]:,.0f} MB, CPU {result['cpu_s'].get(name, 0):,.1f} s"
                + (f", RSS growth {growth:+.1f} %" if growth is not None else ""),
            )
        )
    machine = result["machine_cpu_s_by_program"]
    rows.append(("machine CPU s by program", ", ".join(f"{name} {seconds:,.1f}" for name, seconds in machine.items())))
    rows.append(("errors in logs, dead letters", f"{result['errors_in_logs']:,}, {result['dead_letters']:,}"))
    rows.append(("final statuses", ", ".join(f"{k} {v:,}" for k, v in result["final_statuses"].items())))
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)
