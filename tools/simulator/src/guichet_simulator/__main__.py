"""`python -m guichet_simulator publish|example`: feed the system as the portal and the registry would."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections import Counter, defaultdict

from aiokafka.errors import KafkaError

from guichet_common.cli import positive
from guichet_simulator.generator import (
    DEFAULT_PROBLEM_SHARE,
    ClaimGenerator,
    SimulatedClaim,
    expected_outcomes,
)
from guichet_simulator.publisher import MissingTopicsError, PublishResult, publish_example, publish_simulation

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    generator = None
    if args.command == "publish":
        try:
            generator = ClaimGenerator(args.seed, run_id=args.run_id, problem_share=args.problem_share)
        except ValueError as error:
            parser.error(str(error))
    bootstrap = args.bootstrap or os.environ.get(BOOTSTRAP_ENV)
    if not bootstrap:
        print(f"no Kafka broker: pass --bootstrap HOST:PORT or set {BOOTSTRAP_ENV}", file=sys.stderr)
        return 2
    try:
        if generator is None:
            print(_published(asyncio.run(publish_example(bootstrap_servers=bootstrap, prefix=args.topic_prefix))))
            return 0
        claims = generator.claims(args.claims)
        result = asyncio.run(
            publish_simulation(claims, bootstrap_servers=bootstrap, prefix=args.topic_prefix, rate=args.rate)
        )
    except MissingTopicsError as error:
        print(f"{error} on {bootstrap} (the deployment creates them, e.g. `make up`)", file=sys.stderr)
        return 1
    except FileNotFoundError as error:
        print(f"{error}", file=sys.stderr)
        return 1
    except (KafkaError, OSError) as error:
        print(f"publishing to {bootstrap} failed: {error!r} (is the broker up?)", file=sys.stderr)
        return 1
    print(f"run {generator.run_id}, seed {args.seed}: {_published(result)}")
    print(_outcome_table(claims))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m guichet_simulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    publish = commands.add_parser("publish", help="generate claims and their registry records, then publish them")
    publish.add_argument("--claims", type=positive(int), required=True, help="how many claims")
    publish.add_argument("--seed", type=int, required=True, help="the same seed publishes the same claims")
    publish.add_argument(
        "--rate", type=positive(float), default=None, help="claims per second (default: as fast as possible)"
    )
    publish.add_argument("--run-id", default=None, help="goes into every claim_id (default: S<seed>)")
    publish.add_argument(
        "--problem-share",
        type=float,
        default=DEFAULT_PROBLEM_SHARE,
        help=f"share of deliberately ineligible or invalid claims (default {DEFAULT_PROBLEM_SHARE})",
    )
    example = commands.add_parser("example", help="publish the contract examples (one registry record, one claim)")
    for sub in (publish, example):
        sub.add_argument("--bootstrap", default=None, help=f"HOST:PORT (default: ${BOOTSTRAP_ENV})")
        sub.add_argument("--topic-prefix", default=None, help="default: $GUICHET_TOPIC_PREFIX, else none")
    return parser


def _published(result: PublishResult) -> str:
    rate = f"{result.claims_per_second:,.0f}/s" if result.claims_seconds > 0 else "-"
    return (
        f"{result.registry_records} registry records on {result.registry_topic}, then "
        f"{result.claims} claims on {result.claims_topic} in {result.claims_seconds:.1f} s ({rate})"
    )


def _outcome_table(claims: list[SimulatedClaim]) -> str:
    by_status: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for (status, reasons), count in expected_outcomes(claims).items():
        totals[status] += count
        for reason in reasons:
            by_status[status][reason] += count
    lines = ["expected outcome        claims"]
    for status, count in totals.most_common():
        detail = ", ".join(f"{reason} {n}" for reason, n in sorted(by_status[status].items()))
        lines.append(f"  {status:<20}{count:>7}" + (f"   ({detail})" if detail else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
