"""The reader refuses a file that is not a stock file up front, and costs a malformed row only that row."""

from __future__ import annotations

import io

import pytest

from guichet_registry.mapping import REQUIRED_COLUMNS, Message
from guichet_registry.stock import STOCK_HEADER, Rejection, StockFileError, StockReader


def _reader(text: str) -> StockReader:
    return StockReader(io.StringIO(text, newline=""), REQUIRED_COLUMNS)


@pytest.mark.parametrize("text", ["", "\n", "siren,denominationUniteLegale\n123456789,X\n"])
def test_a_file_without_the_needed_columns_is_refused_before_any_row(text):
    with pytest.raises(StockFileError):
        _reader(text)


def test_a_missing_column_is_named():
    header = [c for c in STOCK_HEADER if c != "etatAdministratifUniteLegale"]
    with pytest.raises(StockFileError, match="etatAdministratifUniteLegale"):
        _reader(",".join(header) + "\n")


def test_a_row_of_the_wrong_width_is_rejected_and_the_next_one_read(write_csv, parse_csv, example_row):
    text = write_csv([example_row]) + "642515712,O\n" + write_csv([example_row]).split("\n", 1)[1]
    outcomes = parse_csv(text)
    assert [type(o) for o in outcomes] == [Message, Rejection, Message]
    assert outcomes[1].row == 2 and "2 cells" in outcomes[1].reason


def test_a_row_the_csv_parser_refuses_costs_only_that_row(write_csv, parse_csv, example_row):
    good = write_csv([example_row]).split("\n", 1)[1]
    oversized = "642515712," + "X" * 200_000 + "\n"  # beyond the csv module's field size limit
    text = write_csv([example_row]) + oversized + good
    outcomes = parse_csv(text)
    assert [type(o) for o in outcomes] == [Message, Rejection, Message]
    assert outcomes[1].field == "(row)" and "unparsable" in outcomes[1].reason


def test_limit_counts_rows_read_rejected_or_not(write_csv, example_row):
    reader = _reader(write_csv([example_row, {**example_row, "siren": "x"}, example_row]))
    assert len(list(reader.rows(limit=2))) == 2
    assert reader.rows_read == 2


def test_a_byte_order_mark_does_not_hide_the_siren_column(tmp_path, write_csv, example_row):
    path = tmp_path / "bom.csv"
    path.write_text(write_csv([example_row]), encoding="utf-8-sig")
    with path.open(encoding="utf-8-sig", newline="") as stream:
        assert "siren" in StockReader(stream, REQUIRED_COLUMNS).columns


def test_a_file_that_is_not_utf8_is_a_file_error(tmp_path, write_csv, example_row):
    path = tmp_path / "latin1.csv"
    # Far enough down the file that the header, decoded first, is fine: the failure comes mid-stream.
    text = write_csv([example_row] * 2_000 + [{**example_row, "denominationUniteLegale": "CAFÉ"}])
    path.write_bytes(text.encode("latin-1"))
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = StockReader(stream, REQUIRED_COLUMNS)
        with pytest.raises(StockFileError, match="not UTF-8"):
            list(reader.rows())
