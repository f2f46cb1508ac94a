"""Canonical values at the edge: the forms later stages (SEPA files, PostgreSQL, headers, Paris dates) accept."""

from __future__ import annotations

import datetime as dt

import pytest

from guichet_common.canonical import (
    Refused,
    amounts_consistent,
    canonical_bic,
    canonical_iban,
    date_in_range,
    sepa_name,
    text_is_clean,
    timestamp_in_range,
    unclean_text_paths,
)

IBAN = "FR7630006000011234567890189"


@pytest.mark.parametrize(
    "raw",
    [
        IBAN,
        "FR76\u00a03000\u00a06000\u00a00112\u00a03456\u00a07890\u00a0189",  # NBSP, which schwifty keeps
        "FR76\t30006000011234567890189",
        "FR76 3000 6000 0112 3456 7890 189",
        "fr7630006000011234567890189",
        " FR76\u202f3000 6000 0112 3456 7890 189\n",  # narrow NBSP, surrounding spaces
    ],
)
def test_an_iban_is_compact_upper_case_whatever_its_spaces(raw: str) -> None:
    assert canonical_iban(raw) == IBAN


@pytest.mark.parametrize(
    "raw",
    [
        "FR7630006000011234567890188",  # mod-97
        "FR763000600001123456789018",  # length for FR
        "FR76\u200b30006000011234567890189",  # zero-width space is not a space: refused, not kept
        "FR76-3000-6000-0112-3456-7890-189",
        "ＦＲ7630006000011234567890189",  # full-width letters
        "",
    ],
)
def test_an_iban_that_is_not_one_is_refused_with_a_reason(raw: str) -> None:
    result = canonical_iban(raw)
    assert isinstance(result, Refused)
    assert raw.strip() == "" or raw not in result.reason


@pytest.mark.parametrize("bic", ["AGRIFRPP", "BDFEFRPPCCT", "AGRIFRP2XXX", "AAAAFR2A"])
def test_bics_the_pain001_xsd_accepts(bic: str) -> None:
    assert canonical_bic(bic) == bic


@pytest.mark.parametrize("bic", ["AAAAFR1A", "AAAAFR0A", "AAAAFRPO", "AGRIFRPPXX", "agrifrpp", "AGRIFRPP "])
def test_bics_the_pain001_xsd_refuses(bic: str) -> None:
    assert isinstance(canonical_bic(bic), Refused)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Zoë Ångström", "Zoe Angstrom"),
        ("HÔTEL CARON & FILS", "HOTEL CARON + FILS"),
        ("Boulangerie\u00a0Martin", "Boulangerie Martin"),
        ("É" * 100, "E" * 70),
        ("Café «Le Zinc»", "Cafe Le Zinc"),
    ],
)
def test_a_name_is_what_the_sepa_file_will_carry(raw: str, expected: str) -> None:
    name = sepa_name(raw)
    assert name == expected
    assert sepa_name(name) == name  # canonical: stable


@pytest.mark.parametrize("raw", ["@#%*", "   ", "🍞🥐", "()-/", "\u202e\u2066", "¤"])
def test_a_name_with_no_letter_or_digit_left_is_refused(raw: str) -> None:
    assert isinstance(sepa_name(raw), Refused)


@pytest.mark.parametrize(
    "text",
    [
        "a\x00b",
        "line\r\nInjected: yes",
        "tab\there",
        "del\x7f",
        "c1\x85",
        "sep\u2028arator",
        "para\u2029",
        "bidi \u202eesrever",
        "isolate \u2066x\u2069",
        "lone \ud800 surrogate",
    ],
)
def test_text_with_control_characters_is_not_clean(text: str) -> None:
    assert not text_is_clean(text)


@pytest.mark.parametrize("text", ["Zoë Ångström", "Boulangerie\u00a0Martin", "N° 12 – «Le Zinc» 🍞", "李小龙"])
def test_ordinary_text_is_clean(text: str) -> None:
    assert text_is_clean(text)


def test_unclean_strings_are_found_by_path_keys_included() -> None:
    value = {"claim": {"contact": {"full_name": "A\x00"}, "invoices": [{"n": "ok"}, {"n": "x\u2028"}]}, "k\n": 1}
    assert unclean_text_paths(value) == ["claim.contact.full_name", "claim.invoices.1.n", "k\n"]
    assert unclean_text_paths({"a": ["fine", 1, None, {"b": "é"}]}) == []


PLUS_ONE = dt.timezone(dt.timedelta(hours=1))


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(9999, 12, 31, 23, 30, tzinfo=dt.UTC),  # Paris time would be year 10000
        dt.datetime(1, 1, 1, 0, 30, tzinfo=PLUS_ONE),  # UTC would be year 0
        dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=23, minutes=59))),
        dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-23, minutes=-59))),
        dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=1))),  # 1999 in Paris
        dt.datetime(2101, 1, 1, 0, 0, tzinfo=PLUS_ONE),
        dt.datetime(2021, 3, 2, 10),  # naive
    ],
)
def test_timestamps_out_of_range_are_refused_without_raising(value: dt.datetime) -> None:
    assert timestamp_in_range(value) is False


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2021, 3, 2, 10, 15, tzinfo=PLUS_ONE),
        dt.datetime(1999, 12, 31, 23, 0, tzinfo=dt.UTC),  # already 2000 in Paris
        dt.datetime(2100, 12, 31, 22, 0, tzinfo=dt.UTC),  # 23:00 in Paris
        dt.datetime(2021, 6, 15, 14, 30, tzinfo=dt.timezone(dt.timedelta(hours=14))),
    ],
)
def test_timestamps_in_range(value: dt.datetime) -> None:
    assert timestamp_in_range(value) is True


def test_dates_in_range() -> None:
    assert date_in_range(dt.date(1850, 6, 1))
    assert date_in_range(dt.date(2021, 3, 2))
    assert not date_in_range(dt.date(1, 1, 1))
    assert not date_in_range(dt.date(9999, 12, 31))
    assert not date_in_range(dt.date(2101, 1, 1))


@pytest.mark.parametrize(
    ("excl", "incl", "consistent"),
    [
        (50_000, 60_000, True),  # 20 % VAT
        (50_000, 50_000, True),  # no VAT
        (37_500, 45_001, True),  # rounding
        (3_000_000, 20_000, False),  # excl. tax above incl. tax
        (1, 20_000, False),  # 1 cent excl. tax for 200 € incl.: no tax rate explains it
        (50_000, 61_000, False),
        (0, 0, True),
    ],
)
def test_amounts_excl_and_incl_tax(excl: int, incl: int, consistent: bool) -> None:
    assert amounts_consistent(excl, incl, max_tax_percent=20, slack_cents=100) is consistent
