"""`guichet finance reconcile [--json] [--csv DIR] [--xlsx FILE]`: what `guichet reconcile` prints and exits with
(0 every check agrees, 1 one disagrees, 3 payments' database cannot be read), and the accountant's exports: per
programme, per batch and per payment, as three CSV files in DIR and/or one workbook of three sheets.

The report and the exports are read from one repeatable-read snapshot of payments' database. The exports are
written even when a check disagrees: they are what finance opens to find out why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from guichet_common.cli import ExitCode
from guichet_console.finance_exports import tables, write_csv, write_xlsx
from guichet_console.operations import Json, describe, fail
from guichet_console.reconcile import read_payments, show
from guichet_payments import operators as payments

CsvDir = Annotated[
    Path | None,
    typer.Option(
        "--csv",
        file_okay=False,
        help="write programmes.csv, batches.csv and payments.csv into this folder (created if missing)",
    ),
]
XlsxFile = Annotated[
    Path | None,
    typer.Option("--xlsx", dir_okay=False, help="write one workbook with a sheet per programme, batch and payment"),
]


def reconcile(as_json: Json = False, csv_dir: CsvDir = None, xlsx_file: XlsxFile = None) -> None:
    """The reconciliation (exit 1 when a check disagrees), and its CSV and XLSX exports for accountants."""
    rows = read_payments(payments.reconcile_with_rows)
    written: list[Path] = []
    try:
        if csv_dir is not None:
            written += write_csv(tables(rows), csv_dir)
        if xlsx_file is not None:
            written.append(write_xlsx(tables(rows), xlsx_file))
    except OSError as error:
        fail(ExitCode.USAGE, f"cannot write the export: {describe(error)}")
    for path in written:  # on stderr: with --json, stdout holds the report alone
        typer.echo(f"written: {path}", err=True)
    show(rows.report, as_json)
