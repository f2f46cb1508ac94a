"""`guichet finance reconcile`: `guichet reconcile`'s report and exit codes, plus the accountant's exports (three
CSV files, one workbook of three sheets). Payments' rows are faked here; test_finance_reconcile_rows.py reads them
from a real database."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from guichet_console import cli
from guichet_console import reconcile as reconcile_command
from guichet_console.connect import Stack
from guichet_payments import operators as payments

runner = CliRunner()
SENT = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)
LATE_EVENING = dt.datetime(2021, 3, 10, 23, 30, tzinfo=dt.UTC)  # already the 11th in Paris


@dataclass
class FakeCheck:
    name: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def programme_figures() -> dict:
    buckets = {"scheduled": (1, 50_000), "sent": (1, 50_000), "settled": (1, 50_000), "returned": (1, 50_000)}
    by_status = {s: {"count": 0, "cents": 0, "euros": "0.00"} for s in ("scheduled", "sent", "settled", "returned")}
    by_status |= {s: {"count": n, "cents": c, "euros": f"{c / 100:.2f}"} for s, (n, c) in buckets.items()}
    by_status["released"] = {"count": 0, "cents": 0, "euros": "0.00"}
    cents = {"total_cents": 1_000_000, "reserved_cents": 200_000, "paid_cents": 50_000, "released_cents": 0}
    return cents | {
        "programme": "cheque-france-num-2021",
        "available_cents": 800_000,
        "payments": by_status,
        "outstanding": by_status["sent"],
        **{key.removesuffix("_cents"): f"{value / 100:.2f}" for key, value in cents.items()},
        "available": "8000.00",
        "recovery": {},  # no control yet (payments' reconcile then says nothing of controls)
    }


def rows(*problems: str) -> payments.ReconciliationRows:
    report = payments.ReconciliationReport([programme_figures()], [], [FakeCheck("budget identity", list(problems))])
    batch = payments.BatchRow(
        "B-1", "cheque-france-num-2021", "pain.001.001.09", dt.date(2021, 3, 3), SENT, 3, 150_000, 1, 1, 0, 1, "ab" * 32
    )
    paid = payments.PaymentRow(
        "PAY-1", "CFN-1", "cheque-france-num-2021", "100000001", 123_456, "returned", 2, SENT, SENT, None,
        LATE_EVENING, "AC04", "B-1",
    )  # fmt: skip
    waiting = payments.PaymentRow(
        "PAY-2", "CFN-2", "cheque-france-num-2021", "100000002", 50_000, "scheduled", 1, SENT, None, None, None, None,
        None,
    )  # fmt: skip
    return payments.ReconciliationRows(report, [batch], [paid, waiting])


@pytest.fixture
def read(monkeypatch: pytest.MonkeyPatch) -> list[payments.ReconciliationRows]:
    """What `reconcile_with_rows` returns next (the first of the list)."""
    answers: list[payments.ReconciliationRows] = [rows()]

    async def reconcile_with_rows(url: str) -> payments.ReconciliationRows:
        assert url == "postgresql://nowhere/p"
        return answers[0]

    stack = Stack("127.0.0.1:1", "", {"payments": "postgresql://nowhere/p"})
    monkeypatch.setattr(reconcile_command, "current_stack", lambda *_, **__: stack)
    monkeypatch.setattr(payments, "reconcile_with_rows", reconcile_with_rows)
    return answers


def invoke(*args: str):
    return runner.invoke(cli.app, ["finance", "reconcile", *args], env={"COLUMNS": "200"})


def test_the_report_is_guichet_reconciles(read: list[payments.ReconciliationRows]) -> None:
    text, as_json = invoke(), invoke("--json")
    assert text.exit_code == 0 and as_json.exit_code == 0, text.output
    assert text.stdout.strip() == payments.reconciliation_text(read[0].report)
    assert json.loads(as_json.stdout) == json.loads(read[0].report.as_json())


def test_a_disagreeing_check_exits_1_and_the_exports_are_written_all_the_same(
    read: list[payments.ReconciliationRows], tmp_path: Path
) -> None:
    read[0] = rows("programme p: paid 1.00 € exceeds reserved 0.00 €")
    result = invoke("--csv", str(tmp_path / "csv"), "--xlsx", str(tmp_path / "reconcile.xlsx"))
    assert result.exit_code == 1, result.output
    assert "DISAGREES" in result.stdout
    assert (tmp_path / "reconcile.xlsx").is_file() and (tmp_path / "csv" / "payments.csv").is_file()


def test_unreachable_database_exits_3(monkeypatch: pytest.MonkeyPatch, read: list) -> None:
    async def refused(url: str) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(payments, "reconcile_with_rows", refused)
    result = invoke("--xlsx", "never.xlsx")
    assert result.exit_code == 3 and "cannot read the payments database" in result.stderr
    assert not Path("never.xlsx").exists()


def test_three_csv_files_with_a_bom_euros_and_paris_days(read: list, tmp_path: Path) -> None:
    result = invoke("--csv", str(tmp_path / "out"), "--json")
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # stdout holds the report alone; what was written goes to stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["batches.csv", "payments.csv", "programmes.csv"]
    raw = (tmp_path / "out" / "payments.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "payment_id,claim_id,programme,siren,amount_eur,status,attempts,scheduled_on,sent_on,settled_on,"
        "returned_on,return_code,batch_id"
    )
    assert (
        lines[1]
        == "PAY-1,CFN-1,cheque-france-num-2021,100000001,1234.56,returned,2,2021-03-02,2021-03-02,,2021-03-11,AC04,B-1"
    )
    batches = (tmp_path / "out" / "batches.csv").read_text(encoding="utf-8-sig").splitlines()
    assert (
        batches[1] == f"B-1,cheque-france-num-2021,pain.001.001.09,2021-03-03,2021-03-02,3,1500.00,1,1,0,1,{'ab' * 32}"
    )
    programmes = (tmp_path / "out" / "programmes.csv").read_text(encoding="utf-8-sig").splitlines()
    assert programmes[0].startswith("programme,total_eur,reserved_eur,paid_eur,released_eur,available_eur,")
    assert programmes[1].startswith("cheque-france-num-2021,10000.00,2000.00,500.00,0.00,8000.00,1,500.00,")


def test_one_workbook_with_three_sheets_numbers_dates_and_a_frozen_header(read: list, tmp_path: Path) -> None:
    path = tmp_path / "reconcile.xlsx"
    assert invoke("--xlsx", str(path)).exit_code == 0
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["programmes", "batches", "payments"]
    sheet = workbook["payments"]
    assert sheet.freeze_panes == "A2" and sheet.max_row == 3
    header = [cell.value for cell in sheet[1]]
    paid = dict(zip(header, sheet[2]))
    assert paid["amount_eur"].value == pytest.approx(1234.56) and paid["amount_eur"].number_format == "#,##0.00"
    assert paid["returned_on"].value == dt.datetime(2021, 3, 11) and paid["returned_on"].is_date
    assert paid["settled_on"].value is None and paid["siren"].value == "100000001"
    batch = dict(zip([c.value for c in workbook["batches"][1]], workbook["batches"][2]))
    assert batch["control_sum_eur"].value == pytest.approx(1500) and batch["execution_date"].is_date
    assert workbook["programmes"]["B2"].value == pytest.approx(10000)
    assert [row[0] for row in workbook["programmes"].iter_rows(values_only=True)] == [
        "programme",
        rows().report.programmes[0]["programme"],
    ]
    assert isinstance(workbook["programmes"]["B2"].value, int | float | Decimal)
