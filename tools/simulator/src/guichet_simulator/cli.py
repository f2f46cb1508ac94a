"""`guichet demo simulate|example|run` (also `python -m guichet_simulator publish|example` and
`python -m guichet_simulator.demo`): feed the system as the portal and the registry would, or run the whole demo."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections import Counter, defaultdict
from collections.abc import Coroutine, Sequence
from typing import Annotated, Any, NoReturn

import typer
from aiokafka.errors import KafkaError

from guichet_common.cli import ExitCode, run_command
from guichet_simulator.generator import (
    DEFAULT_PROBLEM_SHARE,
    ClaimGenerator,
    SimulatedClaim,
    expected_outcomes,
)
from guichet_simulator.publisher import MissingTopicsError, PublishResult, publish_example, publish_simulation

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"

app = typer.Typer(no_args_is_help=True, help=__doc__, epilog=ExitCode.epilog(), rich_markup_mode=None)

Bootstrap = Annotated[str | None, typer.Option(help=f"HOST:PORT (default: ${BOOTSTRAP_ENV})")]
TopicPrefix = Annotated[str | None, typer.Option(help="default: $GUICHET_TOPIC_PREFIX, else none")]


def _positive(value: float | None) -> float | None:
    if value is not None and value <= 0:
        raise typer.BadParameter(f"must be positive: {value}")
    return value


def publish(
    claims: Annotated[int, typer.Option(min=1, help="how many claims")],
    seed: Annotated[int, typer.Option(help="the same seed publishes the same claims")],
    rate: Annotated[
        float | None, typer.Option(callback=_positive, help="claims per second (default: flat out)")
    ] = None,
    run_id: Annotated[str | None, typer.Option(help="goes into every claim_id (default: S<seed>)")] = None,
    problem_share: Annotated[
        float, typer.Option(help="share of deliberately ineligible or invalid claims")
    ] = DEFAULT_PROBLEM_SHARE,
    bootstrap: Bootstrap = None,
    topic_prefix: TopicPrefix = None,
) -> None:
    """Generate claims and their registry records, then publish them."""
    try:
        generator = ClaimGenerator(seed, run_id=run_id, problem_share=problem_share)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    broker = _bootstrap(bootstrap)
    generated = generator.claims(claims)
    result = _publishing(
        broker, publish_simulation(generated, bootstrap_servers=broker, prefix=topic_prefix, rate=rate)
    )
    typer.echo(f"run {generator.run_id}, seed {seed}: {_published(result)}")
    typer.echo(_outcome_table(generated))


app.command("simulate")(publish)
# The name `python -m guichet_simulator publish` has always had; `guichet demo simulate` reads better.
app.command("publish", hidden=True)(publish)


@app.command()
def example(bootstrap: Bootstrap = None, topic_prefix: TopicPrefix = None) -> None:
    """Publish the contract examples (one registry record, one claim)."""
    broker = _bootstrap(bootstrap)
    typer.echo(_published(_publishing(broker, publish_example(bootstrap_servers=broker, prefix=topic_prefix))))


@app.command()
def run(
    claims: Annotated[int, typer.Option(min=1, help="how many claims to publish")] = 3000,
    seed: Annotated[int | None, typer.Option(help="generator seed (default: a new one each run)")] = None,
    timeout: Annotated[float, typer.Option(min=0, help="seconds to wait for final statuses")] = 300.0,
    keep_running: Annotated[bool, typer.Option("--keep-running", help="leave infrastructure and services up")] = False,
) -> None:
    """`make demo`: start everything, publish synthetic claims, show them flow, summarise, stop (exit 1 when the
    claims do not all reach a final status or the figures do not add up)."""
    from guichet_simulator import demo

    chosen = seed if seed is not None else secrets.randbelow(2**31)
    raise typer.Exit(asyncio.run(demo.run(claims, chosen, timeout, keep_running)))


# `python -m guichet_simulator.demo`: the `run` command alone.
demo_app = typer.Typer(help=run.__doc__, epilog=ExitCode.epilog(), rich_markup_mode=None)
demo_app.command()(run)


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(app, argv, prog_name="python -m guichet_simulator")


def _bootstrap(given: str | None) -> str:
    found = given or os.environ.get(BOOTSTRAP_ENV)
    if not found:
        _fail(ExitCode.USAGE, f"no Kafka broker: pass --bootstrap HOST:PORT or set {BOOTSTRAP_ENV}")
    return found


def _publishing(bootstrap: str, job: Coroutine[Any, Any, PublishResult]) -> PublishResult:
    try:
        return asyncio.run(job)
    except MissingTopicsError as error:
        _fail(ExitCode.REFUSED, f"{error} on {bootstrap} (the deployment creates them, e.g. `make up`)")
    except FileNotFoundError as error:
        _fail(ExitCode.REFUSED, f"{error}")
    except (KafkaError, OSError) as error:
        _fail(ExitCode.UNREACHABLE, f"publishing to {bootstrap} failed: {error!r} (is the broker up?)")


def _fail(code: ExitCode, message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


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
