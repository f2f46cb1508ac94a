"""`make bench`: `python -m guichet_bench [--claims N] [--rate R] [--latency-seconds S] [--out FILE] [--profile DIR]
[--instances N] [--cluster NODES]`.

Starts the infrastructure if nothing else is provided, runs the services on a scratch stack of their own (topic
prefix and databases, removed afterwards), prints a table and writes the results as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from guichet_bench.report import results, table, write
from guichet_bench.runner import BenchOptions, run_bench
from guichet_common.cli import positive
from guichet_common.settings import project_root


def say(text: str) -> None:
    print(text, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guichet_bench", description=__doc__)
    parser.add_argument("--claims", type=positive(int), default=115_000, help="backlog size (default 115000)")
    parser.add_argument("--rate", type=positive(float), default=300.0, help="offered load for latency (claims/s)")
    parser.add_argument("--latency-seconds", type=positive(float), default=60.0, help="latency phase length (s)")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--timeout", type=positive(float), default=3600.0, help="seconds to wait for each phase")
    parser.add_argument("--out", type=Path, default=project_root() / "bench" / "results" / "latest.json")
    parser.add_argument("--profile", type=Path, default=None, help="folder for py-spy stacks of each service")
    parser.add_argument(
        "--instances", type=positive(int), default=1, help="processes of every service (default 1; they share the CPUs)"
    )
    parser.add_argument(
        "--cluster",
        type=positive(int),
        default=1,
        metavar="NODES",
        help="run on a KRaft cluster of NODES brokers of its own, replication min(3, NODES) (default 1: local broker)",
    )
    args = parser.parse_args(argv)
    options = BenchOptions(
        claims=args.claims,
        rate=args.rate,
        latency_seconds=args.latency_seconds,
        seed=args.seed,
        timeout_s=args.timeout,
        profile_dir=args.profile,
        instances=args.instances,
        kafka_nodes=args.cluster,
    )
    from guichet_deploy.infra import ensure_infra

    say("Starting infrastructure (Kafka, PostgreSQL)...")
    infra = ensure_infra()
    run = asyncio.run(run_bench(infra, options, say))
    result = results(run)
    write(result, args.out)
    say("")
    say(table(result))
    say(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
