"""`make chaos`: every fault of the failure suite, or `--short` for the ones `make test` runs.

Prints one table; exits 1 on any lost claim, duplicate effect or overshoot.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys

from guichet_chaos.faults import FAULTS, SHORT
from guichet_chaos.hostile_run import LONG_RUN_INPUTS, hostile_table
from guichet_chaos.runner import run_suite, table
from guichet_common.logging import configure_logging
from guichet_deploy.infra import ensure_infra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guichet_chaos", description=__doc__)
    parser.add_argument("--short", action="store_true", help="only the faults that make test runs")
    parser.add_argument("--claims", type=int, default=300, help="claims published per scenario")
    parser.add_argument("--only", action="append", choices=sorted(FAULTS), help="run just this fault (repeatable)")
    parser.add_argument(
        "--hostile-inputs", type=int, default=LONG_RUN_INPUTS, help="hostile records the 'hostile' scenario tries"
    )
    args = parser.parse_args(argv)
    names = args.only or (list(SHORT) if args.short else list(FAULTS))
    configure_logging("WARNING", "console")
    infra = ensure_infra()
    results = asyncio.run(run_suite(infra, names, args.claims, hostile_inputs=args.hostile_inputs))
    print(
        f"\nFailure suite on {platform.node()} ({platform.machine()}, {platform.python_version()}), "
        f"{args.claims} claims per scenario\n"
    )
    print(table(results))
    if any(f.hostile is not None for f in results):
        print("\nHostile inputs\n\n" + hostile_table(results))
    failed = [f.scenario for f in results if not f.ok]
    print("\n" + ("FAILED: " + ", ".join(failed) if failed else "every scenario: lost 0, duplicates 0, overshoot 0"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
