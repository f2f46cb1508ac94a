"""Text from outside is shown escaped, never interpreted by a terminal or a log reader."""

from __future__ import annotations

import pytest

from guichet_common.safe_text import has_unsafe_characters, printable, printable_bytes


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J\x1b[31mPAID", "\\x1b[2J\\x1b[31mPAID"),
        ("line\r\nforged: yes", "line\\x0d\\x0aforged: yes"),
        ("a\u2028b", "a\\u2028b"),
        ("\u202eDIAP", "\\u202eDIAP"),
        ("nul\x00", "nul\\x00"),
        ("\x9bcsi", "\\x9bcsi"),
        ("Zoë Ångström 🎉", "Zoë Ångström 🎉"),
    ],
)
def test_unsafe_characters_are_escaped_and_the_rest_kept(raw: str, shown: str) -> None:
    assert printable(raw) == shown
    assert has_unsafe_characters(raw) == (raw != shown)


def test_lone_surrogates_and_bad_bytes_are_shown_not_raised() -> None:
    assert printable("x\ud800y") == "x\\ud800y"
    assert printable_bytes(b"ok \xff\x00") == "ok \\xff\\x00"


def test_long_text_is_cut_visibly() -> None:
    assert printable("a" * 50, 10) == "a" * 9 + "…"
