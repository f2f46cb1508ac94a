"""How the console writes money, counts, moments and durations for people: French conventions, Paris time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


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
