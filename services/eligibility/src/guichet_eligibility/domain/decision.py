"""A decision: the rule version that applies, every rule's result, the outcome and the grant."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from guichet_eligibility.domain.facts import ClaimFacts, History, RegistryFacts, Subject, wall_time
from guichet_eligibility.domain.invoices import eligible_totals
from guichet_eligibility.domain.rules import RULES, RuleResult
from guichet_eligibility.domain.statuses import APPROVED, REJECTED, UNDER_REVIEW, Outcome
from guichet_programme import Programme, RateGrant, RuleVersion


class UnknownRule(ValueError):
    """A programme file names a rule this code does not have."""


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    rule_version: str
    reasons: tuple[str, ...]
    results: tuple[RuleResult, ...]
    grant_cents: int  # what an approval would pay; 0 unless approved

    def explain(self) -> list[str]:
        """One line per rule, for an auditor: code, pass/fail, the values it looked at."""
        return [f"{'ok  ' if r.passed else 'FAIL'} {r.code}: {r.observed}" for r in self.results]


def check_rules_exist(programme: Programme) -> None:
    """Start-up check: every rule a programme file lists must exist here."""
    for index, version in enumerate(programme.rule_versions):
        unknown = [code for code in version.rules if code not in RULES]
        if unknown:
            raise UnknownRule(f"{programme.id}: rule_versions[{index}].rules names unknown rules {unknown}")


def version_for(programme: Programme, claim: ClaimFacts) -> RuleVersion:
    """The version in force on the claim's submission date (Paris); before the first, the first one."""
    return version_on(programme, wall_time(claim.submitted_at, programme.zone).date())


def version_on(programme: Programme, day: dt.date) -> RuleVersion:
    applicable = [v for v in programme.rule_versions if v.applies_from <= day]
    return applicable[-1] if applicable else programme.rule_versions[0]


def subject_for(
    claim: ClaimFacts,
    registry: RegistryFacts | None,
    history: History,
    programme: Programme,
    version: RuleVersion | None = None,
) -> Subject:
    return Subject(claim, registry, history, programme, version or version_for(programme, claim))


def grant_for(s: Subject) -> int:
    grant = s.programme.grant
    if isinstance(grant, RateGrant):
        _incl, excl = eligible_totals(s)
        return min(grant.cap_cents, excl * grant.percent_of_eligible_excl_tax // 100)
    return grant.amount_cents


def decide(s: Subject) -> Decision:
    """Reject on any failing rule (all codes reported); else review on any failing review rule; else approve."""
    results = tuple(RULES[code](s) for code in s.version.rules)
    rejections = tuple(r.code for r in results if not r.passed and not r.sends_to_review)
    reviews = tuple(r.code for r in results if not r.passed and r.sends_to_review)
    outcome: Outcome
    if rejections:
        outcome, reasons = REJECTED, rejections
    elif reviews:
        outcome, reasons = UNDER_REVIEW, reviews
    else:
        outcome, reasons = APPROVED, ()
    return Decision(outcome, s.version.id, reasons, results, grant_for(s) if outcome == APPROVED else 0)
