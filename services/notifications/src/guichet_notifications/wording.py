"""How the e-mails write amounts, dates and reasons, in French. Pure functions: no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

UNKNOWN_REASON = "Une condition du dispositif n'est pas remplie."


def euros(cents: int) -> str:
    """French style: a narrow no-break space between thousands, a decimal comma, cents only when there are some."""
    whole, rest = divmod(cents, 100)
    return f"{whole:,}".replace(",", "\u202f") + (f",{rest:02d}" if rest else "") + " €"


def french_date(iso: str) -> str:
    """An ISO date (as the e-mails' details keep it) as JJ/MM/AAAA; raises ValueError for anything else."""
    return dt.date.fromisoformat(iso).strftime("%d/%m/%Y")


def reason_lines(codes: tuple[str, ...], sentences: Mapping[str, str]) -> str:
    """One line per code, in `sentences` words; a code without a sentence gets a general one, never the code."""
    return "\n".join(f"- {sentences.get(code, UNKNOWN_REASON)}" for code in codes)
