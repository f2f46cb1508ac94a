"""What people type on `guichet controls ...` command lines, read strictly. Pure: no I/O.

Money typed in euros ("250", "250.00", "250,00", "1 234,56") becomes integer cents by reading its digits, never
through a float ("0.29" is 29 cents, not 28). Anything else is refused with the text as typed, before anything is
asked of the back-office.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from guichet_common.contracts.reason_codes import catalogue
from guichet_common.safe_text import printable

PARIS = ZoneInfo("Europe/Paris")
OUTCOMES = ("compliant", "non_compliant", "no_answer")
NO_ANSWER = "CONTROL_NO_ANSWER"
# The catalogue's codes a recovery order carries, but CONTROL_NO_ANSWER, which is the `no_answer` outcome's own: the
# reasons a controller can find a claim non-compliant (the back-office and payments accept these five).
NON_COMPLIANCE_CODES = tuple(
    reason.code
    for reason in catalogue().values()
    if reason.code.startswith("CONTROL_") and "recovery_ordered" in reason.statuses and reason.code != NO_ANSWER
)
# Digits grouped by thousands with a space (a narrow or non-breaking one, as French writes them), or not grouped;
# then at most two decimals after "." or ",". "1.234,56" is refused: one separator only, so it cannot be misread.
_EUROS = re.compile(r"(?P<whole>\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,](?P<cents>\d{1,2}))?")


class BadInput(ValueError):
    """A value on the command line that cannot be what it stands for; the message names the option."""


def cents_from_euros(typed: str) -> int:
    """Euros as typed ("250", "250.00", "250,5", "1 234,56") in integer cents, at least one cent."""
    found = _EUROS.fullmatch(typed.strip())
    if not found:
        raise BadInput(
            f"--amount: {printable(typed, 40)!r} is not an amount in euros (e.g. 250, 250.00 or 250,00; two decimals"
            " at most)"
        )
    whole = int(re.sub(r"\D", "", found["whole"]))
    cents = whole * 100 + int((found["cents"] or "0").ljust(2, "0"))
    if cents < 1:
        raise BadInput("--amount: an amount undue is at least 0,01 euros")
    return cents


def moment(typed: str) -> dt.datetime:
    """An ISO 8601 date or moment; without an offset it is Paris time, and a date alone is its last instant (as the
    back-office reads it: "paid before 2026-12-01" takes the claims paid that day too)."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", typed.strip()):
            parsed = dt.datetime.combine(dt.date.fromisoformat(typed.strip()), dt.time.max)
        else:
            parsed = dt.datetime.fromisoformat(typed.strip())
    except ValueError:
        raise BadInput(
            f"{printable(typed, 40)!r} is not an ISO 8601 date or moment (2026-12-01, 2026-12-01T18:00+01:00)"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=PARIS)


def outcome_body(outcome: str, reason_code: str | None, amount: str | None, reason: str) -> dict[str, Any]:
    """The back-office's `POST /controls/{claim}/outcome` body, or BadInput saying which option is wrong.

    compliant: nothing else. non_compliant: one of the five non-compliance codes and the --amount undue. no_answer:
    the whole grant is ordered back, so no amount (payments knows what was paid) and its code is CONTROL_NO_ANSWER."""
    if outcome not in OUTCOMES:
        raise BadInput(f"--outcome: one of {', '.join(OUTCOMES)}")
    if not reason.strip():
        raise BadInput("--reason: say why, in words (it is recorded)")
    body: dict[str, Any] = {"outcome": outcome}
    if outcome == "non_compliant":
        if not reason_code:
            raise BadInput(f"--reason-code: a non-compliant outcome names one of {', '.join(NON_COMPLIANCE_CODES)}")
        code = reason_code.strip().upper()
        if code == NO_ANSWER:
            raise BadInput(f"--reason-code: {NO_ANSWER} is recorded with --outcome no_answer (the whole grant)")
        if code not in NON_COMPLIANCE_CODES:
            raise BadInput(f"--reason-code: {printable(code, 64)} is not one of {', '.join(NON_COMPLIANCE_CODES)}")
        if amount is None:
            raise BadInput(
                "--amount: a non-compliant outcome says the amount undue, in euros (all or part of the grant)"
            )
        body |= {"reason_code": code, "amount_undue_cents": cents_from_euros(amount)}
    else:
        if reason_code is not None:
            raise BadInput(f"--reason-code: only a non_compliant outcome takes one, not {outcome}")
        if amount is not None:
            whole = " (no_answer orders the whole grant back)" if outcome == "no_answer" else ""
            raise BadInput(f"--amount: only a non_compliant outcome takes one{whole}")
    return body | {"reason": reason}
