"""Synthetic stock files look like INSEE's, and every row of them imports."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter

import pytest
from stdnum.fr import siren

from guichet_registry.mapping import Message
from guichet_registry.stock import STOCK_HEADER
from guichet_registry.synthesize import MAX_ROWS, synthesize, unique_sirens

ROWS = 3_000


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> tuple[str, list[dict[str, str]]]:
    path = tmp_path_factory.mktemp("stock") / "StockUniteLegale.csv"
    report = synthesize(path, ROWS, seed=11)
    assert report.rows == ROWS and report.bytes_written == path.stat().st_size
    text = path.read_text(encoding="utf-8")
    return text, list(csv.DictReader(text.splitlines()))


def test_sirens_are_valid_and_distinct():
    numbers = list(unique_sirens(random.Random(3), 50_000))
    assert all(siren.is_valid(number) for number in numbers)
    assert len(set(numbers)) == len(numbers)


def test_more_rows_than_sirens_exist_is_refused():
    with pytest.raises(ValueError):
        list(unique_sirens(random.Random(3), MAX_ROWS + 1))


def test_the_file_has_insee_header_and_one_row_per_company(synthetic):
    text, rows = synthetic
    assert text.split("\n", 1)[0].split(",") == list(STOCK_HEADER)
    assert len(rows) == ROWS and len({row["siren"] for row in rows}) == ROWS


def test_the_same_seed_writes_the_same_file(tmp_path):
    first, again, other = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    synthesize(first, 200, seed=5), synthesize(again, 200, seed=5), synthesize(other, 200, seed=6)
    assert first.read_bytes() == again.read_bytes() != other.read_bytes()


def test_the_population_is_plausible(synthetic):
    _, rows = synthetic
    states = Counter(row["etatAdministratifUniteLegale"] for row in rows)
    sole_traders = [row for row in rows if row["categorieJuridiqueUniteLegale"] == "1000"]
    assert 0.6 < states["A"] / ROWS < 0.9 and states["C"] > 0
    assert 0.2 < len(sole_traders) / ROWS < 0.5
    assert all(row["nomUniteLegale"] and row["prenom1UniteLegale"] for row in sole_traders)
    assert not any(row["denominationUniteLegale"] for row in sole_traders)
    assert len({row["trancheEffectifsUniteLegale"] for row in rows}) > 8
    assert {row["nomenclatureActivitePrincipaleUniteLegale"] for row in rows} >= {"NAFRev2", "NAFRev1"}
    assert any(row["statutDiffusionUniteLegale"] == "P" for row in rows)


def test_every_synthetic_row_imports_as_a_valid_record(synthetic, parse_csv, registry_validator):
    text, _ = synthetic
    outcomes = parse_csv(text)
    assert len(outcomes) == ROWS and all(isinstance(o, Message) for o in outcomes)
    for outcome in outcomes:
        registry_validator.validate(json.loads(outcome.value))
