"""`python -m guichet_finance`: the bank and the finance department for the demo, as a separate process.

Answers each payment instruction on `<prefix>payments.issued.v1` with one report on payments.settlements.v1:
settled, or (for a deterministic share of first attempts) returned AC04/AC01. Stops cleanly on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

import structlog
from aiokafka.errors import KafkaError

from guichet_common.logging import configure_logging
from guichet_common.settings import CommonSettings
from guichet_finance.bank import DEFAULT_RETURN_EVERY
from guichet_finance.simulator import FinanceConfig, FinanceSimulator


def _at_least(minimum: float, kind: type):
    def parse(text: str):
        value = kind(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}: {text}")
        return value

    return parse


def _parser(defaults: CommonSettings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m guichet_finance", description=__doc__)
    parser.add_argument(
        "--bootstrap", default=defaults.kafka_bootstrap_servers, help="HOST:PORT (default: KAFKA_BOOTSTRAP_SERVERS)"
    )
    parser.add_argument(
        "--topic-prefix", default=defaults.topic_prefix, help="topic name prefix (default: GUICHET_TOPIC_PREFIX)"
    )
    parser.add_argument(
        "--return-every",
        type=_at_least(1, int),
        default=DEFAULT_RETURN_EVERY,
        help=f"return the first attempts whose payment_id hashes to 0 modulo N (default {DEFAULT_RETURN_EVERY})",
    )
    parser.add_argument(
        "--delay-s", type=_at_least(0, float), default=0.5, help="seconds to wait before answering (default 0.5)"
    )
    return parser


async def _serve(config: FinanceConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await FinanceSimulator(config).run(stop)


def main(argv: list[str] | None = None) -> int:
    defaults = CommonSettings()
    args = _parser(defaults).parse_args(argv)
    configure_logging(defaults.log_level, defaults.log_format, service="finance-simulator")
    config = FinanceConfig(
        bootstrap=args.bootstrap, topic_prefix=args.topic_prefix, return_every=args.return_every, delay_s=args.delay_s
    )
    try:
        asyncio.run(_serve(config))
    except (KafkaError, OSError) as error:
        structlog.get_logger().error("finance_simulator_failed", bootstrap=config.bootstrap, error=repr(error))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
