"""Eligibility rules: small named functions of (claim, registry record, history, programme) -> RuleResult.

No I/O here. A decision reports every failing rule, not only the first, and keeps what each rule looked at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from guichet_common.programmes import Programme

APPROVED, REJECTED, UNDER_REVIEW = "approved", "rejected", "under_review"


@dataclass(frozen=True)
class ClaimFacts:
    claim_id: str
    programme: str
    siren: str
    submitted_at: dt.datetime  # aware
    declared_headcount: int
    invoices_incl_tax_cents: tuple[int, ...]


@dataclass(frozen=True)
class RegistryFacts:
    state: str  # "A" active, "C" ceased
    created_on: dt.date | None


@dataclass(frozen=True)
class History:
    """What is already known about the same company: other claims' statuses."""

    other_claims_holding_aid: int = 0


@dataclass(frozen=True)
class RuleResult:
    code: str
    passed: bool
    observed: dict[str, Any] = field(default_factory=dict)
    sends_to_review: bool = False  # a failing review rule asks for an operator instead of rejecting


@dataclass(frozen=True)
class Decision:
    outcome: str
    rule_version: str
    reasons: tuple[str, ...]
    results: tuple[RuleResult, ...]


@dataclass(frozen=True)
class Subject:
    claim: ClaimFacts
    registry: RegistryFacts | None
    history: History
    programme: Programme

    @property
    def local_submission(self) -> dt.datetime:
        """Submission wall time in the programme's timezone (Europe/Paris), naive for comparison with config."""
        return self.claim.submitted_at.astimezone(self.programme.zone).replace(tzinfo=None)


Rule = Callable[[Subject], RuleResult]


def filed_within_window(s: Subject) -> RuleResult:
    local = s.local_submission
    window = s.programme.filing
    return RuleResult(
        "FILED_OUTSIDE_WINDOW",
        window.opens <= local <= window.closes,
        {"submitted_local": local.isoformat(), "opens": window.opens.isoformat(), "closes": window.closes.isoformat()},
    )


def company_not_ceased(s: Subject) -> RuleResult:
    state = s.registry.state if s.registry else None
    return RuleResult("COMPANY_CEASED", state != "C", {"registry_state": state})


def headcount_below_limit(s: Subject) -> RuleResult:
    limit = s.programme.applicant.max_headcount_exclusive
    return RuleResult(
        "HEADCOUNT_TOO_HIGH",
        s.claim.declared_headcount < limit,
        {"declared_headcount": s.claim.declared_headcount, "must_be_below": limit},
    )


def expenses_reach_minimum(s: Subject) -> RuleResult:
    total = sum(s.claim.invoices_incl_tax_cents)
    minimum = s.programme.expenses.minimum_incl_tax_cents
    return RuleResult(
        "EXPENSES_BELOW_MINIMUM", total >= minimum, {"eligible_incl_tax_cents": total, "minimum": minimum}
    )


def not_already_aided(s: Subject) -> RuleResult:
    others = s.history.other_claims_holding_aid
    return RuleResult("ALREADY_AIDED", others == 0, {"other_claims_holding_aid": others})


def registry_record_present(s: Subject) -> RuleResult:
    return RuleResult("REGISTRY_NO_RECORD", s.registry is not None, {"siren": s.claim.siren}, sends_to_review=True)


RULES: tuple[Rule, ...] = (
    filed_within_window,
    company_not_ceased,
    headcount_below_limit,
    expenses_reach_minimum,
    not_already_aided,
    registry_record_present,
)


def rule_version_for(s: Subject) -> str:
    day = s.local_submission.date()
    applicable = [v.id for v in s.programme.rule_versions if v.applies_from <= day]
    return applicable[-1] if applicable else s.programme.rule_versions[0].id


def decide(s: Subject, rules: tuple[Rule, ...] = RULES) -> Decision:
    """Reject on any failing rule (all codes reported); else review on any failing review rule; else approve."""
    results = tuple(rule(s) for rule in rules)
    rejections = tuple(r.code for r in results if not r.passed and not r.sends_to_review)
    reviews = tuple(r.code for r in results if not r.passed and r.sends_to_review)
    if rejections:
        outcome, reasons = REJECTED, rejections
    elif reviews:
        outcome, reasons = UNDER_REVIEW, reviews
    else:
        outcome, reasons = APPROVED, ()
    return Decision(outcome, rule_version_for(s), reasons, results)
