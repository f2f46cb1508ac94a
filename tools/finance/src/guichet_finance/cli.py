"""`guichet finance bank` (also `python -m guichet_finance`): the bank and the finance department for the demo, as a
separate process.

Answers each payment instruction on `<prefix>payments.issued.v1` with one report on payments.settlements.v1:
settled, or (for a deterministic share of first attempts) returned AC04/AC01. Stops cleanly on SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from typing import Annotated

import structlog
import typer
from aiokafka.errors import KafkaError

from guichet_common.cli import ExitCode, run_command
from guichet_common.logging import configure_logging
from guichet_common.settings import CommonSettings
from guichet_finance.bank import DEFAULT_RETURN_EVERY
from guichet_finance.simulator import FinanceConfig, FinanceSimulator


def bank(
    bootstrap: Annotated[str | None, typer.Option(help="HOST:PORT (default: KAFKA_BOOTSTRAP_SERVERS)")] = None,
    topic_prefix: Annotated[str | None, typer.Option(help="topic name prefix (default: GUICHET_TOPIC_PREFIX)")] = None,
    return_every: Annotated[
        int, typer.Option(min=1, help="return the first attempts whose payment_id hashes to 0 modulo N")
    ] = DEFAULT_RETURN_EVERY,
    delay_s: Annotated[float, typer.Option(min=0, help="seconds to wait before answering")] = 0.5,
) -> None:
    """Settle most payment instructions and return a few, until interrupted (exit 3 when Kafka fails)."""
    defaults = CommonSettings()
    configure_logging(defaults.log_level, defaults.log_format, service="finance-simulator")
    config = FinanceConfig(
        bootstrap=bootstrap if bootstrap is not None else defaults.kafka_bootstrap_servers,
        topic_prefix=topic_prefix if topic_prefix is not None else defaults.topic_prefix,
        return_every=return_every,
        delay_s=delay_s,
    )
    try:
        asyncio.run(_serve(config))
    except (KafkaError, OSError) as error:
        structlog.get_logger().error("finance_simulator_failed", bootstrap=config.bootstrap, error=repr(error))
        raise typer.Exit(ExitCode.UNREACHABLE) from None


app = typer.Typer(no_args_is_help=True, help=__doc__, epilog=ExitCode.epilog(), rich_markup_mode=None)
app.command()(bank)
# `python -m guichet_finance [OPTIONS]`: the one command, without its name.
bank_app = typer.Typer(help=__doc__, epilog=ExitCode.epilog(), rich_markup_mode=None)
bank_app.command()(bank)


async def _serve(config: FinanceConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await FinanceSimulator(config).run(stop)


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(bank_app, argv, prog_name="python -m guichet_finance")
