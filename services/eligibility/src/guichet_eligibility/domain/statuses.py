"""The states of a claim in eligibility, and the one definition of a claim that holds the company's aid."""

from __future__ import annotations

from typing import Final, Literal

# What the rules decide. Literals, so that the service hands them on as claim statuses without a cast.
Outcome = Literal["approved", "rejected", "under_review"]
APPROVED: Final = "approved"
REJECTED: Final = "rejected"
UNDER_REVIEW: Final = "under_review"
# Registered, its company's registry record not seen yet: judged when it arrives or at the claim's deadline.
AWAITING_REGISTRY: Final = "awaiting_registry"

# "Another claim of the same SIREN is already approved, waitlisted, under review, or paid" (ALREADY_AIDED). Waitlisted
# and paid claims are approved ones here; a claim still waiting for its registry record keeps its place in line (it
# ends approved or under review unless a rule rejects it), so a later claim of its company does not overtake it.
HOLDING_AID: frozenset[str] = frozenset({AWAITING_REGISTRY, APPROVED, UNDER_REVIEW})


def holds_aid(status: str) -> bool:
    """Whether a claim in `status` (an outcome of the rules, or a stored claim's status) counts as already aided."""
    return status in HOLDING_AID
