"""Text from outside made safe to show: on a terminal, in a log line, in an operator's table.

Control characters (C0, DEL, C1), line and paragraph separators, bidirectional overrides and isolates, and lone
surrogates can move a terminal's cursor, forge a new log line, or reverse what an operator reads. They are shown
escaped (`\\x1b`, `\\u202e`), never interpreted, so the operator still sees that something odd was there.
"""

from __future__ import annotations

import re

# C0 and DEL, C1, zero-width and bidi formatting, line/paragraph separators, lone surrogates, BOM.
UNSAFE_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")


def has_unsafe_characters(text: str) -> bool:
    return UNSAFE_CHARACTERS.search(text) is not None


def printable(text: str, max_length: int | None = None) -> str:
    """`text` with every unsafe character escaped, cut to `max_length` characters (an ellipsis says so)."""
    shown = UNSAFE_CHARACTERS.sub(_escape, text)
    if max_length is not None and len(shown) > max_length:
        return shown[: max_length - 1] + "…"
    return shown


def printable_bytes(raw: bytes, max_length: int | None = None) -> str:
    """Bytes from outside as printable text: UTF-8 where it decodes, `\\xNN` where it does not."""
    return printable(raw.decode("utf-8", "backslashreplace"), max_length)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
