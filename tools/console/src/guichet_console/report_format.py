"""How the console writes money, counts, moments and durations for people (French conventions, Paris time), and
text from outside so that a terminal shows it instead of obeying it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text

from guichet_common.safe_text import UNSAFE_CHARACTERS, printable

PARIS = ZoneInfo("Europe/Paris")


def outside(value: object, max_length: int | None = None) -> str:
    """Text from an applicant, a Kafka record or a database, safe on a terminal: control, separator and bidi
    characters escaped (`\\x1b`, `\\u202e`). Rich markup is not escaped here: print it as `shown()`, never as markup."""
    return printable("" if value is None else str(value), max_length)


def shown(value: object, style: str = "", max_length: int | None = None) -> Text:
    """Outside text for rich: a Text is never read as markup, so `[/bold]` in a reason is shown, not obeyed."""
    return Text(outside(value, max_length), style=style)


def json_text(document: Any, *, indent: int | None = 2) -> str:
    """JSON for a terminal or a pipe, same data: JSON escapes C0 itself; DEL, C1, line separators, bidi controls
    and lone surrogates, which it leaves raw, become \\u escapes too (still valid JSON, still readable accents)."""
    text = json.dumps(document, ensure_ascii=False, indent=indent, default=str)
    # After dumps, a raw newline can only be the indentation's: inside strings it is already written \\n.
    return UNSAFE_CHARACTERS.sub(lambda m: m.group(0) if m.group(0) == "\n" else f"\\u{ord(m.group(0)):04x}", text)


def count(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def euros(cents: int | None) -> str:
    if cents is None:
        return "—"
    sign, cents = ("-" if cents < 0 else ""), abs(round(cents))
    whole, rest = divmod(cents, 100)
    return f"{sign}{count(whole)},{rest:02d} €"


def paris(moment: dt.datetime | None) -> str:
    return "—" if moment is None else moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S")


def duration(seconds: float | None) -> str:
    """A delay to the nearest unit people think in: '45 s', '12 min', '3,5 h', '41 j'."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h".replace(".", ",")
    return f"{seconds / 86400:.0f} j"
