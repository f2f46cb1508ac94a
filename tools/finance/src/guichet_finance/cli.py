"""`guichet finance bank` (also `python -m guichet_finance`): the bank of the demo, as a separate process.

Files (the default, `--files`): reads each batch's pain.001 (001.001.03 or .09) from payments' outbound folder once
its manifest is there, and answers in payments' inbound folder with a camt.054 (booked debits, AC04 return credits)
and a pain.002 (AC01 rejections). JSON (`--kafka`): answers each instruction on `<prefix>payments.issued.v1` with
one report on payments.settlements.v1. Either way most payments are settled and a deterministic share of first
attempts comes back (AC04/AC01). Stops cleanly on SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import structlog
import typer
from aiokafka.errors import KafkaError

from guichet_common.cli import ExitCode, run_command
from guichet_common.logging import configure_logging
from guichet_common.settings import CommonSettings
from guichet_finance.bank import DEFAULT_RETURN_EVERY
from guichet_finance.files_bank import FilesBank, FilesBankConfig
from guichet_finance.simulator import FinanceConfig, FinanceSimulator


def bank(
    files: Annotated[
        bool, typer.Option("--files/--kafka", help="answer pain.001 files with ISO files, or Kafka with JSON")
    ] = True,
    outbound: Annotated[
        Path | None, typer.Option(help="where payments writes pain.001 files (default: PAYMENTS_FILES_DIR)")
    ] = None,
    inbound: Annotated[
        Path | None, typer.Option(help="where payments reads bank files (default: PAYMENTS_INBOUND_DIR)")
    ] = None,
    state_file: Annotated[
        Path | None, typer.Option(help="answered batches (default: bank-simulator-state.json beside --inbound)")
    ] = None,
    bare_xml: Annotated[
        bool, typer.Option(help="also answer pain.001 files without a manifest (folders older than manifests)")
    ] = False,
    bootstrap: Annotated[str | None, typer.Option(help="HOST:PORT (default: KAFKA_BOOTSTRAP_SERVERS)")] = None,
    topic_prefix: Annotated[str | None, typer.Option(help="topic name prefix (default: GUICHET_TOPIC_PREFIX)")] = None,
    return_every: Annotated[
        int, typer.Option(min=1, help="return the first attempts whose payment_id hashes to 0 modulo N")
    ] = DEFAULT_RETURN_EVERY,
    delay_s: Annotated[
        float, typer.Option(min=0, help="seconds to wait before answering (files: between looks at the folder)")
    ] = 0.5,
) -> None:
    """Settle most payments and return a few, until interrupted (exit 3 when Kafka or a folder fails)."""
    defaults = CommonSettings()
    configure_logging(defaults.log_level, defaults.log_format, service="finance-simulator")
    if files:
        _serve_files(outbound, inbound, state_file, bare_xml, return_every, delay_s)
        return
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


def _serve_files(
    outbound: Path | None,
    inbound: Path | None,
    state_file: Path | None,
    bare_xml: bool,
    return_every: int,
    delay_s: float,
) -> None:
    from guichet_payments.operators import PaymentsSettings  # the folders payments itself uses

    if outbound is None or inbound is None:
        payments = PaymentsSettings()
        outbound = outbound if outbound is not None else payments.files_dir
        inbound = inbound if inbound is not None else payments.inbound_dir
    config = FilesBankConfig(
        outbound=outbound,
        inbound=inbound,
        return_every=return_every,
        poll_s=max(delay_s, 0.05),
        state_file=state_file,
        bare_xml=bare_xml,
    )
    try:
        asyncio.run(_serve_files_until_stopped(config))
    except OSError as error:
        structlog.get_logger().error("finance_simulator_failed", folder=str(inbound), error=repr(error))
        raise typer.Exit(ExitCode.UNREACHABLE) from None


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def _serve_files_until_stopped(config: FilesBankConfig) -> None:
    await FilesBank(config).run(_stop_on_signals())


async def _serve(config: FinanceConfig) -> None:
    await FinanceSimulator(config).run(_stop_on_signals())


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(bank_app, argv, prog_name="python -m guichet_finance")
