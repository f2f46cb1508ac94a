from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from guichet_common.contracts import PUBLISHED
from guichet_registry.mapping import REQUIRED_COLUMNS, Message, messages
from guichet_registry.stock import STOCK_HEADER, Rejection, StockReader

# The contract example's company, as INSEE's stock file would carry it.
EXAMPLE_ROW = {
    **dict.fromkeys(STOCK_HEADER, ""),
    "siren": "642515712",
    "statutDiffusionUniteLegale": "O",
    "dateCreationUniteLegale": "2012-03-20",
    "trancheEffectifsUniteLegale": "02",
    "anneeEffectifsUniteLegale": "2022",
    "dateDernierTraitementUniteLegale": "2024-03-22T14:26:06",
    "nombrePeriodesUniteLegale": "3",
    "categorieEntreprise": "PME",
    "anneeCategorieEntreprise": "2022",
    "dateDebut": "2019-01-01",
    "etatAdministratifUniteLegale": "A",
    "denominationUniteLegale": "BOUTIQUE MARTIN MODE",
    "categorieJuridiqueUniteLegale": "5499",
    "activitePrincipaleUniteLegale": "47.71Z",
    "nomenclatureActivitePrincipaleUniteLegale": "NAFRev2",
    "nicSiegeUniteLegale": "00012",
    "economieSocialeSolidaireUniteLegale": "N",
    "caractereEmployeurUniteLegale": "O",
    "activitePrincipaleNAF25UniteLegale": "47.71Z",
}

# A sole trader: the company is the person, so the row carries their names and no denomination.
SOLE_TRADER_ROW = {
    **EXAMPLE_ROW,
    "siren": "732829320",
    "sexeUniteLegale": "F",
    "prenom1UniteLegale": "ALICE",
    "prenom2UniteLegale": "BERENICE",
    "prenomUsuelUniteLegale": "ALICE",
    "pseudonymeUniteLegale": "LA MODISTE",
    "nomUniteLegale": "DURAND",
    "nomUsageUniteLegale": "ROUSSEAU",
    "denominationUniteLegale": "",
    "categorieJuridiqueUniteLegale": "1000",
}
PERSONAL_VALUES = ("ALICE", "BERENICE", "LA MODISTE", "DURAND", "ROUSSEAU")


def stock_csv(rows: Sequence[dict[str, str]], header: Sequence[str] = STOCK_HEADER) -> str:
    """A stock file's text with the given columns, in the given order (absent cells left empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([row.get(name, "") for name in header] for row in rows)
    return out.getvalue()


def parse(text: str, limit: int | None = None) -> list[Message | Rejection]:
    return list(messages(StockReader(io.StringIO(text, newline=""), REQUIRED_COLUMNS), limit))


def only_record(text: str) -> dict:
    [outcome] = parse(text)
    assert isinstance(outcome, Message), outcome
    return json.loads(outcome.value)


@pytest.fixture(scope="session")
def registry_validator() -> Draft202012Validator:
    schema = json.loads((PUBLISHED / "registry.companies.v1.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())


# Test modules are imported with importlib, so they cannot import each other: helpers come as fixtures.
@pytest.fixture
def example_row() -> dict[str, str]:
    return dict(EXAMPLE_ROW)


@pytest.fixture
def sole_trader_row() -> dict[str, str]:
    return dict(SOLE_TRADER_ROW)


@pytest.fixture
def personal_values() -> tuple[str, ...]:
    return PERSONAL_VALUES


@pytest.fixture
def write_csv() -> Callable[..., str]:
    return stock_csv


@pytest.fixture
def parse_csv() -> Callable[..., list[Message | Rejection]]:
    return parse


@pytest.fixture
def record_of() -> Callable[[str], dict]:
    return only_record
