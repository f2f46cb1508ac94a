"""Payment rules that need no database: identifiers, texts, dates, and which bank details are acceptable."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"
REMITTANCE_MAX = 140

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_payment_id() -> str:
    """31 characters: fits the 35 of an ISO 20022 EndToEndId with room for an attempt suffix."""
    return "P" + uuid.uuid4().hex[:30]


def end_to_end_id(payment_id: str, attempt: int) -> str:
    # The first attempt's EndToEndId is the payment id itself (the specification); later ones need their own.
    return payment_id if attempt == 1 else f"{payment_id}-{attempt}"


def remittance_information(prefix: str, claim_id: str) -> str:
    return f"{prefix} DOSSIER {claim_id}"[:REMITTANCE_MAX]


def new_batch_id(programme: str, now: dt.datetime, zone: ZoneInfo) -> str:
    """Readable and unique: programme initials, Paris date and time, a random suffix; at most 35 characters."""
    initials = "".join(word[0] for word in programme.split("-") if word).upper()[:6]
    return f"{initials}-{now.astimezone(zone):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


def paris_today(now: dt.datetime, zone: ZoneInfo) -> dt.date:
    return now.astimezone(zone).date()


def iban_is_valid(iban: str) -> bool:
    try:
        IBAN(iban)
    except SchwiftyException:
        return False
    return True


def first_come_first_served(available_cents: int, someone_waits: bool, amounts: Sequence[int]) -> list[bool]:
    """Which of `amounts`, in arrival order, the envelope covers now. While anyone waits, newcomers queue behind
    them, so after the first one that does not fit (or if someone already waits) every later one waits too."""
    covered: list[bool] = []
    for amount in amounts:
        fits = not someone_waits and amount <= available_cents
        if fits:
            available_cents -= amount
        else:
            someone_waits = True
        covered.append(fits)
    return covered


def return_has_expired(returned_at: dt.datetime, now: dt.datetime, expiry_days: int) -> bool:
    return now >= returned_at + dt.timedelta(days=expiry_days)
