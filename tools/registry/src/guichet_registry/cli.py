"""`guichet registry import|synthesize` (also `python -m guichet_registry`): load INSEE's SIRENE stock file of legal
units into Kafka.

import      publishes every valid row of a StockUniteLegale CSV on <prefix>registry.companies.v1 (key = SIREN)
synthesize  writes a synthetic StockUniteLegale CSV with INSEE's header, to try the import without the real file

Exit codes: 0 done, 2 bad arguments or unreadable file, 3 Kafka failed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from guichet_common.cli import ExitCode, run_command
from guichet_common.logging import configure_logging
from guichet_registry.importer import ImportReport, KafkaFailure, import_stock
from guichet_registry.stock import StockFileError
from guichet_registry.synthesize import MAX_ROWS, synthesize

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"
PREFIX_ENV = "GUICHET_TOPIC_PREFIX"
PARTITIONS_ENV = "GUICHET_TOPIC_PARTITIONS"
SHOWN_REJECTIONS = 5

app = typer.Typer(no_args_is_help=True, help=__doc__, epilog=ExitCode.epilog(), rich_markup_mode=None)


@app.callback()
def _logging() -> None:
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"), os.environ.get("LOG_FORMAT", "auto"), "guichet-registry")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="StockUniteLegale CSV (UTF-8, comma-separated, header row)")],
    bootstrap: Annotated[str | None, typer.Option(help=f"HOST:PORT (default: ${BOOTSTRAP_ENV})")] = None,
    topic_prefix: Annotated[str | None, typer.Option(help=f"default: ${PREFIX_ENV}, else none")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="read at most N rows")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the summary as one JSON document, no progress bar")] = False,
) -> None:
    """Publish a StockUniteLegale CSV on registry.companies.v1 (a progress bar on a terminal)."""
    bootstrap = bootstrap or os.environ.get(BOOTSTRAP_ENV)
    if not bootstrap:
        _fail(ExitCode.USAGE, f"no Kafka broker: pass --bootstrap HOST:PORT or set {BOOTSTRAP_ENV}")
    prefix = os.environ.get(PREFIX_ENV, "") if topic_prefix is None else topic_prefix
    partitions = os.environ.get(PARTITIONS_ENV, "6")
    if not partitions.isdigit() or int(partitions) < 1:
        _fail(ExitCode.USAGE, f"{PARTITIONS_ENV} must be a positive number of partitions, not {partitions!r}")
    try:
        with _progress_bar(file, limit, shown=not as_json and sys.stderr.isatty()) as progress:
            report = asyncio.run(
                import_stock(
                    file,
                    bootstrap_servers=bootstrap,
                    prefix=prefix,
                    limit=limit,
                    partitions=int(partitions),
                    progress=progress,
                )
            )
    except StockFileError as error:
        _fail(ExitCode.USAGE, f"{file}: {error}")
    except OSError as error:
        _fail(ExitCode.USAGE, f"cannot read {file}: {error.strerror or error}")
    except KafkaFailure as failure:
        typer.echo(_summary(file, failure.report), err=True)
        _fail(ExitCode.UNREACHABLE, f"Kafka at {bootstrap} failed: {failure} (is the broker up?)")
    typer.echo(json.dumps(summary_json(file, report)) if as_json else _summary(file, report))


@app.command("synthesize")
def synthesize_(
    rows: Annotated[int, typer.Option(min=1, max=MAX_ROWS, help=f"how many companies (1 to {MAX_ROWS:,})")],
    out: Annotated[Path, typer.Option(help="the CSV file to write (replaced if it exists)")],
    seed: Annotated[int, typer.Option(help="the same seed writes the same file")] = 1,
) -> None:
    """Write a synthetic StockUniteLegale CSV."""
    try:
        report = synthesize(out, rows, seed)
    except OSError as error:
        _fail(ExitCode.USAGE, f"cannot write {out}: {error.strerror or error}")
    typer.echo(
        f"wrote {report.rows:,} rows ({report.bytes_written / 1e6:,.1f} MB) to {out} "
        f"in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(app, argv, prog_name="python -m guichet_registry")


@contextmanager
def _progress_bar(path: Path, limit: int | None, *, shown: bool) -> Iterator[Any]:
    """A bar over the file's bytes (its row count is unknown until the end) with rows and rows/s; none when the
    output is not a terminal or is JSON."""
    if not shown:
        yield None
        return
    try:
        size = path.stat().st_size
    except OSError:
        yield None  # the import itself says why it cannot read the file
        return
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn(
            "{task.fields[rows]:>12,} rows  {task.fields[rate]:>9,.0f} rows/s  {task.fields[published]:,} acked"
        ),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"import {path.name}", total=limit or size, rows=0, rate=0.0, published=0)

        started = time.monotonic()

        def update(rows: int, bytes_read: int, published: int) -> None:
            elapsed = time.monotonic() - started
            rate = rows / elapsed if elapsed > 0 else 0.0
            bar.update(task, completed=rows if limit else bytes_read, rows=rows, rate=rate, published=published)

        yield update


def summary_json(path: Path, report: ImportReport) -> dict[str, Any]:
    return {
        "file": str(path),
        "topic": report.topic,
        "rows_read": report.rows_read,
        "published": report.published,
        "rejected": report.rejected,
        "rejected_by_field": dict(report.rejected_by_field.most_common()),
        "first_rejections": [str(r) for r in report.first_rejections[:SHOWN_REJECTIONS]],
        "seconds": round(report.seconds, 3),
        "rows_per_second": round(report.rows_per_second, 1),
    }


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


def _fail(code: ExitCode, message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)
