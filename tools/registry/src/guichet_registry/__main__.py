"""`python -m guichet_registry import|synthesize`: load INSEE's SIRENE stock file of legal units into Kafka.

import      publishes every valid row of a StockUniteLegale CSV on <prefix>registry.companies.v1 (key = SIREN)
synthesize  writes a synthetic StockUniteLegale CSV with INSEE's header, to try the import without the real file

Exit codes: 0 done, 1 Kafka failed, 2 bad arguments or unreadable file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from guichet_common.cli import positive
from guichet_common.logging import configure_logging
from guichet_registry.importer import ImportReport, KafkaFailure, import_stock
from guichet_registry.stock import StockFileError
from guichet_registry.synthesize import MAX_ROWS, synthesize

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"
PREFIX_ENV = "GUICHET_TOPIC_PREFIX"
PARTITIONS_ENV = "GUICHET_TOPIC_PARTITIONS"
SHOWN_REJECTIONS = 5
EXIT_KAFKA, EXIT_USAGE = 1, 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # exits with 2 on bad arguments
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"), os.environ.get("LOG_FORMAT", "auto"), "guichet-registry")
    return _import(args) if args.command == "import" else _synthesize(args)


def _import(args: argparse.Namespace) -> int:
    bootstrap = args.bootstrap or os.environ.get(BOOTSTRAP_ENV)
    if not bootstrap:
        print(f"no Kafka broker: pass --bootstrap HOST:PORT or set {BOOTSTRAP_ENV}", file=sys.stderr)
        return EXIT_USAGE
    prefix = os.environ.get(PREFIX_ENV, "") if args.topic_prefix is None else args.topic_prefix
    partitions = os.environ.get(PARTITIONS_ENV, "6")
    if not partitions.isdigit() or int(partitions) < 1:
        print(f"{PARTITIONS_ENV} must be a positive number of partitions, not {partitions!r}", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = asyncio.run(
            import_stock(
                args.file, bootstrap_servers=bootstrap, prefix=prefix, limit=args.limit, partitions=int(partitions)
            )
        )
    except StockFileError as error:
        print(f"{args.file}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"cannot read {args.file}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    except KafkaFailure as failure:
        print(_summary(args.file, failure.report), file=sys.stderr)
        print(f"Kafka at {bootstrap} failed: {failure} (is the broker up?)", file=sys.stderr)
        return EXIT_KAFKA
    print(_summary(args.file, report))
    return 0


def _synthesize(args: argparse.Namespace) -> int:
    try:
        report = synthesize(args.out, args.rows, args.seed)
    except OSError as error:
        print(f"cannot write {args.out}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"wrote {report.rows:,} rows ({report.bytes_written / 1e6:,.1f} MB) to {args.out} "
        f"in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)"
    )
    return 0


def _summary(path: Path, report: ImportReport) -> str:
    lines = [
        f"read {report.rows_read:,} rows of {path}: {report.published:,} published on {report.topic}, "
        f"{report.rejected:,} rejected",
        f"in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)",
    ]
    if report.rejected:
        by_field = ", ".join(f"{name} {count:,}" for name, count in report.rejected_by_field.most_common())
        lines.append(f"rejected by field: {by_field}")
        lines += [f"  {rejection}" for rejection in report.first_rejections[:SHOWN_REJECTIONS]]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m guichet_registry", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("import", help="publish a StockUniteLegale CSV on registry.companies.v1")
    load.add_argument("file", type=Path, help="StockUniteLegale CSV (UTF-8, comma-separated, header row)")
    load.add_argument("--bootstrap", default=None, help=f"HOST:PORT (default: ${BOOTSTRAP_ENV})")
    load.add_argument("--topic-prefix", default=None, help=f"default: ${PREFIX_ENV}, else none")
    load.add_argument("--limit", type=positive(int), default=None, help="read at most N rows")
    make = commands.add_parser("synthesize", help="write a synthetic StockUniteLegale CSV")
    make.add_argument("--rows", type=_rows, required=True, help=f"how many companies (1 to {MAX_ROWS:,})")
    make.add_argument("--out", type=Path, required=True, help="the CSV file to write (replaced if it exists)")
    make.add_argument("--seed", type=int, default=1, help="the same seed writes the same file (default 1)")
    return parser


def _rows(text: str) -> int:
    rows = positive(int)(text)
    if rows > MAX_ROWS:
        raise argparse.ArgumentTypeError(f"at most {MAX_ROWS:,}: {text}")
    return rows


if __name__ == "__main__":
    sys.exit(main())
