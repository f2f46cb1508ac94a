"""What each service has done with what it received, as the operators' console and the business gauges show it.

Counted from the service's own tables, not from process counters, so the figures survive restarts and several
instances of a service agree on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StageFigures:
    """One service's claims by state. `failed` counts those that stopped at this stage (refused, rejected,
    returned, undeliverable), `pending` those still in progress here; the rest are `done` and went on."""

    service: str
    counts: Mapping[str, int] = field(default_factory=dict)  # by the service's own state names
    received: int = 0
    done: int = 0
    failed: int = 0
    pending: int = 0


@dataclass(frozen=True)
class BudgetFigures:
    """One programme's envelope, in cents."""

    programme: str
    total_cents: int
    reserved_cents: int
    paid_cents: int
    released_cents: int

    @property
    def available_cents(self) -> int:
        return self.total_cents - self.reserved_cents
