"""The command line: 2 for what the user got wrong (before touching Kafka), 3 when Kafka fails, 0 when done."""

from __future__ import annotations

import json

import pytest

from guichet_registry import cli
from guichet_registry.importer import ImportReport, KafkaFailure
from guichet_registry.stock import Rejection


@pytest.fixture(autouse=True)
def _no_ambient_broker(monkeypatch):
    monkeypatch.delenv(cli.BOOTSTRAP_ENV, raising=False)
    monkeypatch.delenv(cli.PREFIX_ENV, raising=False)


def test_import_needs_a_broker(tmp_path, capsys):
    assert cli.main(["import", str(tmp_path / "stock.csv")]) == 2
    assert cli.BOOTSTRAP_ENV in capsys.readouterr().err


def test_a_missing_file_is_refused_before_kafka(tmp_path, capsys):
    # Nothing listens on port 9: reaching for Kafka would fail with 3, not 2.
    assert cli.main(["import", str(tmp_path / "absent.csv"), "--bootstrap", "127.0.0.1:9"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_file_that_is_not_a_stock_file_is_refused_before_kafka(tmp_path, capsys):
    path = tmp_path / "other.csv"
    path.write_text("siret,nom\n64251571200012,X\n", encoding="utf-8")
    assert cli.main(["import", str(path), "--bootstrap", "127.0.0.1:9"]) == 2
    assert "missing column" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["--limit", "0"], ["--limit", "x"], ["--bogus"]])
def test_nonsense_arguments_exit_with_2(tmp_path, args):
    assert cli.main(["import", str(tmp_path / "stock.csv"), *args]) == 2


def test_kafka_failure_exits_with_3_and_says_how_far_it_got(tmp_path, monkeypatch, capsys):
    async def failing_import(path, **_):
        report = ImportReport("registry.companies.v1", rows_read=40, published=12, seconds=1.0)
        raise KafkaFailure("KafkaConnectionError: no broker", report)

    monkeypatch.setattr(cli, "import_stock", failing_import)
    assert cli.main(["import", str(tmp_path / "stock.csv"), "--bootstrap", "127.0.0.1:9"]) == 3
    err = capsys.readouterr().err
    assert "read 40 rows" in err and "12 published" in err and "no broker" in err


def test_the_summary_gives_counts_first_reasons_and_rate(tmp_path, monkeypatch, capsys):
    seen = {}

    async def fake_import(path, **options):
        seen.update(options)
        report = ImportReport("dev.registry.companies.v1", rows_read=100, published=98, seconds=2.0)
        report.reject(Rejection(7, "siren", "String should match pattern '^[0-9]{9}$'"))
        report.reject(Rejection(9, "dateCreationUniteLegale", "Input should be a valid date"))
        return report

    monkeypatch.setattr(cli, "import_stock", fake_import)
    monkeypatch.setenv(cli.BOOTSTRAP_ENV, "broker:9092")
    monkeypatch.setenv(cli.PREFIX_ENV, "dev.")
    assert cli.main(["import", str(tmp_path / "stock.csv"), "--limit", "100"]) == 0
    assert seen["bootstrap_servers"] == "broker:9092" and seen["prefix"] == "dev." and seen["limit"] == 100
    out = capsys.readouterr().out
    assert "read 100 rows" in out and "98 published on dev.registry.companies.v1" in out and "2 rejected" in out
    assert "row 7: siren:" in out and "50 rows/s" in out


def test_an_explicit_empty_prefix_wins_over_the_environment(tmp_path, monkeypatch):
    seen = {}

    async def fake_import(path, **options):
        seen.update(options)
        return ImportReport("registry.companies.v1")

    monkeypatch.setattr(cli, "import_stock", fake_import)
    monkeypatch.setenv(cli.PREFIX_ENV, "dev.")
    assert cli.main(["import", str(tmp_path / "s.csv"), "--bootstrap", "b:9092", "--topic-prefix", ""]) == 0
    assert seen["prefix"] == ""


def test_synthesize_writes_the_file_and_reports_its_rate(tmp_path, capsys):
    out = tmp_path / "StockUniteLegale.csv"
    assert cli.main(["synthesize", "--rows", "50", "--out", str(out), "--seed", "2"]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 51
    assert "wrote 50 rows" in capsys.readouterr().out


def test_the_summary_as_json_has_counts_and_no_progress_bar(tmp_path, monkeypatch, capsys):
    async def fake_import(path, **options):
        assert options["progress"] is None  # no bar: its output would break the JSON for a reader on the pipe
        return ImportReport("registry.companies.v1", rows_read=10, published=9, rejected=1, seconds=2.0)

    monkeypatch.setattr(cli, "import_stock", fake_import)
    assert cli.main(["import", str(tmp_path / "s.csv"), "--bootstrap", "b:9092", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["rows_read"], summary["published"], summary["rejected"]) == (10, 9, 1)
    assert summary["rows_per_second"] == 5.0


def test_synthesize_refuses_too_many_rows(tmp_path):
    assert cli.main(["synthesize", "--rows", str(cli.MAX_ROWS + 1), "--out", str(tmp_path / "s.csv")]) == 2


def test_synthesize_into_a_missing_folder_exits_with_2(tmp_path):
    assert cli.main(["synthesize", "--rows", "5", "--out", str(tmp_path / "no" / "such.csv")]) == 2
