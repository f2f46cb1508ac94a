"""`guichet finance import`: each file dropped whole into payments' inbound folder under `<sha256[:12]>-<name>`, then
payments' verdict read back, and the exit codes (0 imported or known, 1 refused, 2 unreadable, 3 no answer).

Payments is played by a fake `operators.bank_file` that "imports" a file once it lies in the folder, and by a
connection that reaches nothing; the real importer's side is in services/payments/tests and tests/e2e.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from guichet_console import cli, finance_import
from guichet_console.connect import Stack
from guichet_payments import operators as payments

runner = CliRunner()
AT = dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC)
REFUSAL = "bad.xml: Document/BkToCstmrDbtCdtNtfctn/Ntfctn/Ntry/Amt: not a decimal amount"


class FakeConnection:
    @contextlib.asynccontextmanager
    async def transaction(self, **_: object):
        yield

    async def close(self) -> None:
        pass


class FakePayments:
    """Payments' database as the console reads it: records by sha256; a file dropped in the inbound folder becomes
    known (imported, or refused when its name says `bad`) unless payments is `asleep`."""

    def __init__(self, inbound: Path) -> None:
        self.inbound = inbound
        self.records: dict[str, payments.BankFileRecord] = {}
        self.asleep = False
        self.reads = 0

    async def bank_file(self, conn: object, sha: str) -> payments.BankFileRecord | None:
        self.reads += 1
        if sha not in self.records and not self.asleep:
            for path in self.inbound.glob(f"{sha[:12]}-*"):
                self.records[sha] = record(path.name, path.read_bytes(), refused="bad" in path.name)
        return self.records.get(sha)


def record(name: str, content: bytes, *, refused: bool = False) -> payments.BankFileRecord:
    return payments.BankFileRecord(
        file_sha256=hashlib.sha256(content).hexdigest(),
        file_name=name,
        message=None if refused else "camt.054.001.02",
        message_id=None if refused else "MSG-1",
        outcome="refused" if refused else "imported",
        refusal=REFUSAL if refused else None,
        received_at=AT,
        entry_count=0 if refused else 4,
        counts={} if refused else {"reported": 2, "duplicate": 1, "suspense": 1},
    )


@pytest.fixture
def inbound(tmp_path: Path) -> Path:
    return tmp_path / "inbound"


@pytest.fixture
def bank(monkeypatch: pytest.MonkeyPatch, inbound: Path) -> FakePayments:
    fake = FakePayments(inbound)
    stack = Stack("127.0.0.1:1", "", {"payments": "postgresql://nowhere/p"}, payments_inbound_dir=str(inbound))

    async def connect(*_: object, **__: object) -> FakeConnection:
        return FakeConnection()

    monkeypatch.setattr(finance_import, "current_stack", lambda *_, **__: stack)
    monkeypatch.setattr(finance_import.asyncpg, "connect", connect)
    monkeypatch.setattr(payments, "bank_file", fake.bank_file, raising=False)
    monkeypatch.setattr(finance_import, "POLL_S", 0.01)
    return fake


def bank_file(folder: Path, name: str, content: bytes = b"<Document/>") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return path


def invoke(*args: str):
    return runner.invoke(cli.app, ["finance", "import", *args], env={"COLUMNS": "200"})


def test_a_file_is_dropped_whole_under_its_hash_and_its_entries_are_counted(
    bank: FakePayments, inbound: Path, tmp_path: Path
) -> None:
    path = bank_file(tmp_path / "from-bank", "camt054 été.xml", b"<Document>camt</Document>")
    result = invoke(str(path))
    assert result.exit_code == 0, result.output
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert [p.name for p in inbound.iterdir()] == [f"{sha[:12]}-camt054_été.xml"]
    assert (inbound / f"{sha[:12]}-camt054_été.xml").read_bytes() == path.read_bytes()
    assert result.stdout.strip() == (
        f"imported: {path} (camt.054.001.02, 4 entries: reported 2, duplicate 1, suspense 1)"
    )


def test_a_file_payments_knows_already_is_not_dropped_again(bank: FakePayments, inbound: Path, tmp_path: Path) -> None:
    path = bank_file(tmp_path, "camt054.xml")
    bank.records[hashlib.sha256(path.read_bytes()).hexdigest()] = record("earlier.xml", path.read_bytes())
    result = invoke(str(path), "--json")
    assert result.exit_code == 0, result.output
    assert not inbound.exists() or not list(inbound.iterdir())
    [listed] = json.loads(result.stdout)
    assert listed["already_imported"] is True and listed["outcome"] == "imported"
    assert listed["counts"] == {"reported": 2, "duplicate": 1, "suspense": 1, "settled": 0, "discarded": 0}
    assert "already imported" in invoke(str(path)).stdout


def test_a_refused_file_is_named_with_its_element_and_exits_1(bank: FakePayments, tmp_path: Path) -> None:
    good, bad = bank_file(tmp_path, "good.xml", b"<a/>"), bank_file(tmp_path, "bad.xml", b"<b/>")
    result = invoke(str(good), str(bad))
    assert result.exit_code == 1, result.output
    assert f"refused: {bad}: {REFUSAL}" in result.stdout
    assert f"imported: {good}" in result.stdout


def test_an_unreadable_file_refuses_the_whole_command_before_anything_is_dropped(
    bank: FakePayments, inbound: Path, tmp_path: Path
) -> None:
    good = bank_file(tmp_path, "good.xml")
    result = invoke(str(good), str(tmp_path / "missing.xml"))
    assert result.exit_code == 2, result.output
    assert not inbound.exists() and bank.reads == 0


def test_payments_that_does_not_answer_in_time_exits_3_naming_the_files_left_waiting(
    bank: FakePayments, inbound: Path, tmp_path: Path
) -> None:
    bank.asleep = True
    path = bank_file(tmp_path, "camt054.xml")
    result = invoke(str(path), "--wait-s", "0.1")
    assert result.exit_code == 3, result.output
    assert f"still waiting: {path}" in result.stderr
    assert len(list(inbound.iterdir())) == 1  # left for payments to read when it runs


def test_an_unreachable_database_exits_3_and_drops_nothing(
    bank: FakePayments, monkeypatch: pytest.MonkeyPatch, inbound: Path, tmp_path: Path
) -> None:
    async def refused(*_: object, **__: object) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(finance_import.asyncpg, "connect", refused)
    path = bank_file(tmp_path, "camt054.xml")
    result = invoke(str(path))
    assert result.exit_code == 3, result.output
    assert "cannot read the payments database" in result.stderr and f"not handed over: {path}" in result.stderr
    assert not inbound.exists()


def test_a_file_without_the_xml_suffix_gets_it_so_payments_reads_it(bank: FakePayments, inbound: Path, tmp_path: Path):
    path = bank_file(tmp_path, ".statement.CAMT")
    assert invoke(str(path)).exit_code == 0
    [dropped] = inbound.iterdir()
    assert dropped.name.endswith("-statement.CAMT.xml")
