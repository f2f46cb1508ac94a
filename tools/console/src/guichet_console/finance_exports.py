"""The accountant's tables of `guichet finance reconcile`: per programme, per batch and per payment, written as three
CSV files or as one XLSX workbook with a sheet each.

Amounts are euros (numbers with two decimals in the workbook, "1500.00" in CSV); dates are the day in Paris (real
dates in the workbook, ISO in CSV). No IBAN and no name: payments' rows carry none.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from guichet_payments import operators as payments

PARIS = ZoneInfo("Europe/Paris")
Kind = Literal["text", "count", "euros", "date"]
STATUSES = ("scheduled", "sent", "settled", "returned", "released")


@dataclass(frozen=True)
class Table:
    name: str  # the sheet's name, and the CSV file's stem
    columns: tuple[tuple[str, Kind], ...]
    rows: list[tuple[Any, ...]]  # cents and aware datetimes as read; `cell_value` turns them into euros and days


def cell_value(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind == "euros":
        return Decimal(value) / 100
    if kind == "date" and isinstance(value, dt.datetime):
        return value.astimezone(PARIS).date()
    return value


def tables(rows: payments.ReconciliationRows) -> list[Table]:
    """The three tables, in the order of the sheets."""
    return [programme_table(rows.report.programmes), batch_table(rows.batches), payment_table(rows.payments)]


def programme_table(programmes: Sequence[dict[str, Any]]) -> Table:
    envelope: list[tuple[str, Kind]] = [(f"{key}_eur", "euros") for key in ("total", "reserved", "paid", "released")]
    per_status: list[tuple[str, Kind]] = []
    for status in (*STATUSES, "outstanding"):
        per_status += [(f"{status}_count", "count"), (f"{status}_eur", "euros")]
    columns = (("programme", "text"), *envelope, ("available_eur", "euros"), *per_status)
    rows = []
    for p in programmes:
        buckets = [*(p["payments"][status] for status in STATUSES), p["outstanding"]]
        counted = [value for bucket in buckets for value in (bucket["count"], bucket["cents"])]
        amounts = [p[f"{key}_cents"] for key in ("total", "reserved", "paid", "released", "available")]
        rows.append((p["programme"], *amounts, *counted))
    return Table("programmes", columns, rows)


# (column, kind, the row's attribute)
BATCH_COLUMNS: tuple[tuple[str, Kind, str], ...] = (
    ("batch_id", "text", "batch_id"),
    ("programme", "text", "programme"),
    ("version", "text", "message_version"),
    ("execution_date", "date", "execution_date"),
    ("created_on", "date", "created_at"),
    ("transfer_count", "count", "transfer_count"),
    ("control_sum_eur", "euros", "control_sum_cents"),
    ("settled", "count", "settled"),
    ("returned", "count", "returned"),
    ("rejected", "count", "rejected"),
    ("outstanding", "count", "outstanding"),
    ("file_sha256", "text", "file_sha256"),
)
PAYMENT_COLUMNS: tuple[tuple[str, Kind, str], ...] = (
    ("payment_id", "text", "payment_id"),
    ("claim_id", "text", "claim_id"),
    ("programme", "text", "programme"),
    ("siren", "text", "siren"),
    ("amount_eur", "euros", "amount_cents"),
    ("status", "text", "status"),
    ("attempts", "count", "attempts"),
    ("scheduled_on", "date", "scheduled_at"),
    ("sent_on", "date", "sent_at"),
    ("settled_on", "date", "settled_at"),
    ("returned_on", "date", "returned_at"),
    ("return_code", "text", "return_code"),
    ("batch_id", "text", "batch_id"),
)


def batch_table(batches: Sequence[payments.BatchRow]) -> Table:
    return _attribute_table("batches", BATCH_COLUMNS, batches)


def payment_table(payment_rows: Sequence[payments.PaymentRow]) -> Table:
    return _attribute_table("payments", PAYMENT_COLUMNS, payment_rows)


def _attribute_table(name: str, columns: tuple[tuple[str, Kind, str], ...], items: Sequence[object]) -> Table:
    rows = [tuple(getattr(item, attribute) for _, _, attribute in columns) for item in items]
    return Table(name, tuple((column, kind) for column, kind, _ in columns), rows)


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def write_csv(tables_out: Sequence[Table], folder: Path) -> list[Path]:
    """One `<table>.csv` per table in `folder`: UTF-8 with a BOM, so a spreadsheet opens accents right."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in tables_out:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow([name for name, _ in table.columns])
        for row in table.rows:
            writer.writerow([_csv_text(cell_value(kind, v)) for (_, kind), v in zip(table.columns, row)])
        path = folder / f"{table.name}.csv"
        _write_atomically(path, buffer.getvalue().encode("utf-8-sig"))
        written.append(path)
    return written


def write_xlsx(tables_out: Sequence[Table], path: Path) -> Path:
    """One workbook, a sheet per table: euros as numbers (#,##0.00), days as dates, the header row frozen."""
    from openpyxl import Workbook  # only this command needs it: every other `guichet` starts without it
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    formats = {"euros": "#,##0.00", "date": "yyyy-mm-dd"}
    for table in tables_out:
        sheet = workbook.create_sheet(table.name)
        sheet.append([name for name, _ in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([cell_value(kind, v) for (_, kind), v in zip(table.columns, row)])
        for index, (name, kind) in enumerate(table.columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = max(12, len(name) + 2) if name != "file_sha256" else 66
            if kind in formats:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = formats[kind]
        sheet.freeze_panes = "A2"
    content = io.BytesIO()
    workbook.save(content)
    _write_atomically(path, content.getvalue())
    return path


def _write_atomically(path: Path, content: bytes) -> None:
    # A reader (or a sync client) never sees half a file: written beside it under a temporary name, then renamed.
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
