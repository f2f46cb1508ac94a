"""Payment rules that need no database: identifiers, texts and dates of a payment instruction."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"
REMITTANCE_MAX = 140


def new_payment_id() -> str:
    """31 characters: fits the 35 of an ISO 20022 EndToEndId with room for an attempt suffix."""
    return "P" + uuid.uuid4().hex[:30]


def end_to_end_id(payment_id: str, attempt: int) -> str:
    # The first attempt's EndToEndId is the payment id itself; later attempts need their own.
    return payment_id if attempt == 1 else f"{payment_id}-{attempt}"


def remittance_information(prefix: str, claim_id: str) -> str:
    return f"{prefix} DOSSIER {claim_id}"[:REMITTANCE_MAX]


def daily_batch_id(programme: str, day: dt.date) -> str:
    return f"{programme}-{day:%Y%m%d}"


def paris_today(now: dt.datetime, zone: ZoneInfo) -> dt.date:
    return now.astimezone(zone).date()
