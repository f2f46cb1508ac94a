"""Hostile values, as hypothesis strategies: text with NUL, CR/LF, U+2028, bidi controls, NBSP, emoji, lone
surrogates, terminal escapes and markup; numbers huge, negative, NaN or of the wrong type; timestamps and dates far
away and at odd offsets; hostile Kafka headers and keys. guichet_chaos.hostile builds records out of them."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from guichet_common.kafka_record_decoding import RawHeaderName

SPECIALS = (
    "\x00", "\r\n", "\n", "\r", "\u2028", "\u2029", "\u202e", "\u2066", "\u200f", "\xa0", "\t", "\x1b[2J\x1b[31m",
    "[/bold]", "[red]x", "😀", "👩‍👩‍👧", "\ufeff", "\ud800", "\udfff", "@#%*", "%s%n{0}", "<b>",
    "\\", '"', "\u0301",
    "'; DROP TABLE claims;--", "ǅ", "ß", "İ", "\U0010ffff",
)  # fmt: skip
ODD_TIMESTAMPS = (
    "9999-12-31T23:30:00+00:00", "9999-12-31T23:59:59-12:00", "0001-01-01T00:30:00+01:00",
    "0001-01-01T00:00:00+14:00", "2021-03-02T10:15:00+23:59", "2021-03-02T10:15:00-00:01",
    "2021-03-02T10:15:00+05:45", "2021-03-02T10:15:00", "2021-02-30T10:00:00+01:00", "2021-03-02T24:00:00+01:00",
    "2021-03-02T23:59:60+01:00", "+12021-03-02T10:15:00Z", "2021-03-02", "", "now", "20210302T101500Z",
    "2021-03-02T10:15:00.123456789+01:00", "2021-03-02T10:15:00+01:00\n", "\u0662\u0660\u0662\u0661-03-02T10:15:00Z",
)  # fmt: skip
ODD_DATES = ("0001-01-01", "9999-12-31", "2021-02-29", "2020-02-30", "2021-13-01", "21-03-02", "", "2021-03-02T00:00Z")
HOSTILE_HEADER_VALUES = (b"\x00", b"a\x00b", b"\xff\xfe", b"\xed\xa0\x80", b"\r\nX-Injected: 1", b"\x1b[31m", None, b"")


def hostile_text() -> st.SearchStrategy[str]:
    specials = st.sampled_from(SPECIALS)
    return st.one_of(
        st.lists(st.one_of(specials, st.text(max_size=4)), min_size=1, max_size=6).map("".join),
        st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Cs", "So", "Mn"]), min_size=1, max_size=30),
        st.sampled_from((65, 141, 201, 255, 10_000, 100_000)).map(lambda n: "N" * n),
        st.tuples(st.sampled_from(("FR76 3000 6000 0112 3456 7890 189", "boutique martin", "a@b.fr")), specials).map(
            lambda pair: pair[0][:5] + pair[1] + pair[0][5:]
        ),
    )


def hostile_number() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from((-1, 0, 1, 2**31, 2**63, -(2**63), 10**30, 10**400, 45_000, 3_000_000)),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.integers().map(str),
        st.none(),
    )


def hostile_timestamp() -> st.SearchStrategy[str]:
    offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
    return st.one_of(
        st.sampled_from(ODD_TIMESTAMPS),
        st.builds(lambda d, tz: d.replace(tzinfo=tz).isoformat(), st.datetimes(), offsets),
    )


def hostile_date() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(ODD_DATES), st.dates().map(lambda d: d.isoformat()))


def wrong_type() -> st.SearchStrategy[Any]:
    return st.sampled_from(([], {}, None, 0, -1.5, True, "", [None], {"": None}, "x" * 3))


def hostile_headers() -> st.SearchStrategy[tuple[tuple[str, bytes | None], ...]]:
    # RawHeaderName: a name that is not UTF-8, as kcat writes it (sent by hostile_run's raw-name producer).
    names = st.sampled_from(
        (
            "trace",
            "dlq.reason",
            "dlq.original.offset",
            "replay.of",
            "x\x00y",
            "é",
            "",
            "a" * 300,
            RawHeaderName(b"x-\xff\xfe"),
        )
    )
    values = st.one_of(st.sampled_from(HOSTILE_HEADER_VALUES), st.binary(max_size=40))
    return st.lists(st.tuples(names, values), min_size=1, max_size=4).map(tuple)


def hostile_key(siren: str) -> st.SearchStrategy[bytes | None]:
    return st.sampled_from((siren.encode(), siren.encode(), None, b"", b"\x00", b"\xff\xfe", siren.encode() + b"\n"))


TEXT, NUMBER, TIMESTAMP, DATE = hostile_text(), hostile_number(), hostile_timestamp(), hostile_date()
WRONG_TYPE, HEADERS = wrong_type(), hostile_headers()
