"""Identifiers and values from outside, in the one form every later stage can use: pure, value-level, no rules.

Values that pass a contract's schema can still break a later stage: schwifty accepts an IBAN with a non-breaking
space that the SEPA file then carries raw, the contract's BIC pattern accepts BICs that the pain.001 XSD refuses,
a name can have nothing left in the SEPA character set, `datetime` overflows near years 1 and 9999 when moved to
Paris time, and a NUL is refused by PostgreSQL. Services canonicalise at their edge with these functions and keep
only what they return. Each returns the canonical value or a `Refused` with a short reason (never the value: it
may be personal data); ordinary bad input raises nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from text_unidecode import unidecode  # a dependency of sepaxml, which uses it for the same purpose

from guichet_common.safe_text import has_unsafe_characters

PARIS = ZoneInfo("Europe/Paris")

# pain.001.001.03, BICIdentifier: the 7th character is never 0 or 1 (test BICs), the 8th never O.
BIC_PATTERN = re.compile(r"[A-Z]{6,6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3,3}){0,1}")
SEPA_NAME_MAX = 70  # pain.001 Cdtr/Nm as the EPC guidelines restrict it

# Timestamps of events and claims: nothing in an electronic grant scheme predates 2000, and nothing is filed a
# century ahead. Both ends stay far from datetime's limits (years 1 and 9999), so adding a grace period or 60 days
# of return expiry, or moving to Paris time, can never overflow.
EARLIEST_TIMESTAMP = dt.datetime(2000, 1, 1, tzinfo=PARIS)
LATEST_TIMESTAMP = dt.datetime(2100, 12, 31, 23, 59, 59, tzinfo=PARIS)
# Calendar dates (a company's activity start, an invoice's date): old family firms exist, so the lower end is
# wider; the same safety margin from datetime's limits holds.
EARLIEST_DATE = dt.date(1800, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)

# The SEPA (EPC) basic Latin character set.
SEPA_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
# Before transliteration: what unidecode would spell badly for French text ("N°" would become "Ndeg").
_BEFORE = str.maketrans({"°": "o", "º": "o", "ª": "a"})
# After transliteration: the nearest allowed character; anything else still outside the set becomes a space.
_AFTER = str.maketrans(
    {
        "&": "+",
        "_": "-",
        '"': "'",
        "`": "'",
        ";": ",",
        "!": ".",
        "[": "(",
        "]": ")",
        "{": "(",
        "}": ")",
        "\\": "/",
        "|": "/",
    }
)


@dataclass(frozen=True)
class Refused:
    """Why a value has no canonical form; the reason never repeats the value."""

    reason: str


def sepa_text(value: str, limit: int) -> str:
    """`value` transliterated to the SEPA Latin character set, whitespace collapsed, cut to `limit` characters.

    "HÔTEL CARON & FILS" -> "HOTEL CARON + FILS". Characters with no sensible equivalent become spaces, so the
    result may be empty. Idempotent: the SEPA text of a SEPA text is itself.
    """
    if limit < 1:
        raise ValueError(f"limit must be positive, not {limit}")
    ascii_text = unidecode(value.translate(_BEFORE)).translate(_AFTER)
    kept = "".join(char if char in SEPA_CHARACTERS else " " for char in ascii_text)
    return " ".join(kept.split())[:limit].rstrip()


def sepa_name(value: str, limit: int = SEPA_NAME_MAX) -> str | Refused:
    """The name as a SEPA file will carry it ("Zoë Ångström" -> "Zoe Angstrom"); refused when nothing is left."""
    name = sepa_text(value, limit)
    if not name.strip(" -/?:().,'+"):
        return Refused("has no letter or digit left in the SEPA character set")
    return name


def canonical_iban(value: str) -> str | Refused:
    """Compact upper case ("fr76\u00a03000..." -> "FR763000..."), checked for mod-97 and the country's format.

    Every Unicode space (NBSP, narrow NBSP, tab...) is dropped first: schwifty accepts some of them but keeps
    them in its text, and a SEPA file or a comparison between claims must see the same IBAN.
    """
    compact = "".join(value.split()).upper()
    if not compact.isascii() or not compact.isalnum():
        return Refused("holds characters other than letters and digits")
    try:
        return IBAN(compact).compact
    except SchwiftyException:
        return Refused("fails mod-97 or its country's format")


def canonical_bic(value: str) -> str | Refused:
    """The BIC if the pain.001.001.03 XSD accepts it (`AAAAFR1A` is refused there though a looser regex passes)."""
    if BIC_PATTERN.fullmatch(value) is None:
        return Refused("does not match the pain.001.001.03 BIC pattern")
    return value


def text_is_clean(value: str) -> bool:
    """No control character (C0, DEL, C1), line separator, bidi or zero-width control, or lone surrogate: text
    that can go to a file, an e-mail header, a database or a terminal as it is."""
    return not has_unsafe_characters(value)


def unclean_text_paths(value: Any, path: str = "") -> list[str]:
    """The JSON paths of every string (keys included) in a decoded JSON value that is not `text_is_clean`."""
    return [where for where, text in _strings(value, path) if not text_is_clean(text)]


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path or "(root)", value
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                yield where, key
            yield from _strings(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}")


def timestamp_in_range(value: dt.datetime) -> bool:
    """Aware, and between 2000-01-01 and 2100-12-31 in Paris time; never raises, even at year 1 with +01:00."""
    if value.tzinfo is None or value.utcoffset() is None:
        return False
    try:
        return EARLIEST_TIMESTAMP <= value.astimezone(PARIS) <= LATEST_TIMESTAMP
    except (OverflowError, ValueError):
        return False


def date_in_range(value: dt.date) -> bool:
    """Between 1800-01-01 and 2100-12-31."""
    return EARLIEST_DATE <= value <= LATEST_DATE


def amounts_consistent(excl_tax_cents: int, incl_tax_cents: int, max_tax_percent: int, slack_cents: int) -> bool:
    """excl. tax <= incl. tax <= excl. tax plus at most `max_tax_percent` %, give or take `slack_cents` of rounding.

    The caller says which tax rate is the highest one possible for its documents.
    """
    if excl_tax_cents > incl_tax_cents:
        return False
    return incl_tax_cents * 100 <= excl_tax_cents * (100 + max_tax_percent) + slack_cents * 100
