"""A stock-file row becomes the contract's record: its fields only, empty as null, bad rows rejected by name."""

from __future__ import annotations

import json
import random

import pytest

from guichet_common.contracts import EXAMPLES
from guichet_registry.mapping import RECORD_FIELDS, Message
from guichet_registry.stock import STOCK_HEADER, Rejection


def test_a_company_row_becomes_the_contract_example(write_csv, record_of, example_row, registry_validator):
    record = record_of(write_csv([example_row]))
    assert record == json.loads((EXAMPLES / "registry.companies.v1.json").read_text(encoding="utf-8"))
    registry_validator.validate(record)


def test_the_message_is_keyed_by_siren_in_compact_utf8_json(write_csv, parse_csv, example_row):
    [message] = parse_csv(write_csv([{**example_row, "denominationUniteLegale": "CAFÉ DES ÉCOLES"}]))
    assert isinstance(message, Message)
    assert message.key == b"642515712"
    assert "CAFÉ DES ÉCOLES".encode() in message.value and b": " not in message.value and b", " not in message.value


def test_empty_cells_become_null(write_csv, record_of, example_row, registry_validator):
    blanks = ("dateCreationUniteLegale", "activitePrincipaleUniteLegale", "trancheEffectifsUniteLegale")
    blanks += ("denominationUniteLegale", "categorieJuridiqueUniteLegale")
    record = record_of(write_csv([{**example_row, **dict.fromkeys(blanks, "")}]))
    assert record == {"siren": "642515712", "etatAdministratifUniteLegale": "A", **dict.fromkeys(blanks)}
    registry_validator.validate(record)


def test_a_ceased_company_is_published_as_ceased(write_csv, record_of, example_row):
    assert (
        record_of(write_csv([{**example_row, "etatAdministratifUniteLegale": "C"}]))["etatAdministratifUniteLegale"]
        == "C"
    )


def test_a_sole_trader_goes_on_the_topic_without_any_personal_name(
    write_csv, parse_csv, sole_trader_row, personal_values
):
    [message] = parse_csv(write_csv([sole_trader_row]))
    record = json.loads(message.value)
    assert tuple(record) == RECORD_FIELDS
    assert record["denominationUniteLegale"] is None and record["categorieJuridiqueUniteLegale"] == "1000"
    assert not any(value.encode() in message.value for value in personal_values)


def test_cells_insee_did_not_diffuse_become_null(write_csv, record_of, sole_trader_row):
    masked = {**sole_trader_row, "statutDiffusionUniteLegale": "P", "dateCreationUniteLegale": "[ND]"}
    assert record_of(write_csv([masked]))["dateCreationUniteLegale"] is None


@pytest.mark.parametrize(
    ("column", "bad"),
    [
        ("siren", "64251571"),
        ("siren", "64251571A"),
        ("siren", ""),
        ("etatAdministratifUniteLegale", "F"),
        ("dateCreationUniteLegale", "2012-02-30"),
        ("trancheEffectifsUniteLegale", "99"),
        ("categorieJuridiqueUniteLegale", "54"),
        ("activitePrincipaleUniteLegale", "4771Z"),
    ],
)
def test_a_bad_row_is_rejected_by_row_and_field_without_its_values(
    write_csv, parse_csv, example_row, sole_trader_row, personal_values, column, bad
):
    bad_row = {**sole_trader_row, column: bad}
    outcomes = parse_csv(write_csv([example_row, bad_row, example_row]))
    assert [type(o) for o in outcomes] == [Message, Rejection, Message]
    rejection = outcomes[1]
    assert (rejection.row, rejection.field) == (2, column)
    assert str(rejection).startswith(f"row 2: {column}: ")
    assert not any(value in str(rejection) for value in (*personal_values, *(bad and [bad])))


def test_an_old_nomenclature_code_is_dropped_but_the_company_kept(write_csv, parse_csv, example_row):
    old = {**example_row, "nomenclatureActivitePrincipaleUniteLegale": "NAFRev1"}
    old["activitePrincipaleUniteLegale"] = "52.4H"
    shaped_like_rev2 = {**old, "activitePrincipaleUniteLegale": "52.41Z"}
    outcomes = parse_csv(write_csv([old, shaped_like_rev2]))
    assert [json.loads(m.value)["activitePrincipaleUniteLegale"] for m in outcomes] == [None, "52.41Z"]


def test_columns_are_found_by_name_whatever_their_order(write_csv, parse_csv, example_row, sole_trader_row):
    rows = [example_row, sole_trader_row, {**example_row, "siren": "bad"}]
    shuffled = list(STOCK_HEADER)
    random.Random(7).shuffle(shuffled)
    added_since = ("societeMissionUniteLegale", "activitePrincipaleNAF25UniteLegale")
    before_2025 = [column for column in STOCK_HEADER if column not in added_since]
    with_extra = [*STOCK_HEADER, "colonneFuture"]
    expected = parse_csv(write_csv(rows))
    for header in (shuffled, before_2025, with_extra):
        assert parse_csv(write_csv(rows, header)) == expected
