"""What controls work on, pure: a paid claim as a campaign sees it, a campaign, and a claim's control."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class RiskFacts:
    """What eligibility knew of an approved claim (ClaimDecidedV1), kept for the risk rules."""

    claim_id: str
    reviewed_reasons: tuple[str, ...] = ()
    approved_by_person: bool = False
    supplier_sirens: tuple[str, ...] = ()


@dataclass(frozen=True)
class PaidClaim:
    """A settled payment a campaign may select, with its risk facts (empty when none were recorded)."""

    claim_id: str
    payment_id: str
    programme: str
    siren: str
    paid_cents: int
    facts: RiskFacts
    bank_changed: bool = False  # paid to an account other than one a transfer was returned from
    source: str | None = None


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    programme: str
    seed: int
    sampling_percent: Decimal
    risk_rules: tuple[str, ...]
    paid_before: dt.datetime
    opened_at: dt.datetime
    opened_by: str
    population: int
    selected: int


@dataclass(frozen=True)
class Control:
    """A selected claim's control; `outcome` None until a caseworker records it."""

    claim_id: str
    campaign_id: str
    payment_id: str
    programme: str
    siren: str
    paid_cents: int
    grounds: tuple[str, ...]
    reply_by: dt.date
    selected_at: dt.datetime
    outcome: str | None = None
    reason_code: str | None = None
    amount_undue_cents: int | None = None
    decided_by: str | None = None
    seconded_by: str | None = None
    decided_at: dt.datetime | None = None
    source: str | None = field(default=None, compare=False)  # the payment's portal, named on the events
