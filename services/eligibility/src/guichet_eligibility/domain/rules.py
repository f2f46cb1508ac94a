"""The programme's rules: small named functions of a Subject returning a RuleResult with what they looked at.

Which rules judge a claim is configuration (the programme's rule version lists their codes); the codes are the
specification's. Review rules only ask for an operator when nothing else rejects the claim.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from guichet_eligibility.domain.facts import Subject
from guichet_eligibility.domain.invoices import eligible_invoices, eligible_totals


@dataclass(frozen=True)
class RuleResult:
    code: str
    passed: bool
    observed: dict[str, Any] = field(default_factory=dict)
    sends_to_review: bool = False

    def as_record(self) -> dict[str, Any]:
        """As stored with the decision (dataclasses.asdict deep-copies, which cost 12 % of eligibility's CPU)."""
        return {
            "code": self.code,
            "passed": self.passed,
            "observed": self.observed,
            "sends_to_review": self.sends_to_review,
        }


Rule = Callable[[Subject], RuleResult]


def filed_within_window(s: Subject) -> RuleResult:
    local, window = s.local_submission, s.programme.filing
    return RuleResult(
        "FILED_OUTSIDE_WINDOW",
        window.opens <= local <= window.closes,
        {"submitted_paris": local.isoformat(), "opens": window.opens.isoformat(), "closes": window.closes.isoformat()},
    )


def company_not_ceased(s: Subject) -> RuleResult:
    state = s.registry.state if s.registry else None
    return RuleResult("COMPANY_CEASED", state != "C", {"registry_state": state})


def headcount_below_limit(s: Subject) -> RuleResult:
    limits = s.programme.applicant
    band = s.registry.headcount_band if s.registry else None
    return RuleResult(
        "HEADCOUNT_TOO_HIGH",
        s.claim.headcount < limits.max_headcount_exclusive and band not in limits.registry_headcount_bands_too_high,
        {"declared": s.claim.headcount, "must_be_below": limits.max_headcount_exclusive, "registry_band": band},
    )


def turnover_within_limit(s: Subject) -> RuleResult:
    limit = s.programme.applicant.max_turnover_excl_tax_cents
    turnover = s.claim.turnover_excl_tax_cents
    return RuleResult("TURNOVER_TOO_HIGH", turnover <= limit, {"declared_cents": turnover, "maximum_cents": limit})


def activity_old_enough(s: Subject) -> RuleResult:
    declared = s.claim.activity_started_on
    registered = s.registry.created_on if s.registry else None
    effective = max(declared, registered) if registered else declared
    before = s.programme.applicant.activity_started_before
    return RuleResult(
        "ACTIVITY_TOO_RECENT",
        effective < before,
        {
            "declared": declared.isoformat(),
            "registry_created": registered and registered.isoformat(),
            "must_be_before": before.isoformat(),
        },
    )


def closed_to_public_or_hotel(s: Subject) -> RuleResult:
    hotel = s.claim.naf_code in s.programme.applicant.hotel_naf_codes
    return RuleResult(
        "NOT_CLOSED_TO_PUBLIC",
        s.claim.closed_to_public or hotel,
        {"declared_closed": s.claim.closed_to_public, "naf": s.claim.naf_code, "hotel": hotel},
    )


def registered_rcs_rm(s: Subject) -> RuleResult:
    return RuleResult("NOT_REGISTERED_RCS_RM", s.claim.registered_rcs_rm, {"declared": s.claim.registered_rcs_rm})


def manager_not_employed_elsewhere(s: Subject) -> RuleResult:
    employed, headcount = s.claim.manager_full_time_employee, s.claim.headcount
    return RuleResult(
        "MANAGER_EMPLOYED_FULL_TIME",
        not (employed and headcount == 0),
        {"manager_full_time_employee": employed, "headcount": headcount},
    )


def declarations_made(s: Subject) -> RuleResult:
    missing = [name for name, given in s.claim.declarations if not given]
    return RuleResult("DECLARATION_MISSING", not missing, {"missing": missing})


def not_overseas_excluded(s: Subject) -> RuleResult:
    excluded = s.programme.applicant.excluded_postcode_prefixes
    hit = any(s.claim.postcode.startswith(prefix) for prefix in excluded)
    return RuleResult("OVERSEAS_EXCLUDED", not hit, {"postcode": s.claim.postcode, "excluded": sorted(excluded)})


def not_filed_by_excluded_filer(s: Subject) -> RuleResult:
    kind = s.claim.filed_by_kind
    return RuleResult(
        "FILED_BY_DIGITAL_PROVIDER", kind not in s.programme.applicant.excluded_filer_kinds, {"kind": kind}
    )


def expenses_reach_minimum(s: Subject) -> RuleResult:
    incl, _excl = eligible_totals(s)
    minimum = s.programme.invoices.minimum_incl_tax_cents
    ineligible = {v.invoice.number: v.why_not.as_record() for v in eligible_invoices(s) if v.why_not is not None}
    return RuleResult(
        "EXPENSES_BELOW_MINIMUM",
        incl >= minimum,
        {"eligible_incl_tax_cents": incl, "minimum_cents": minimum, "ineligible_invoices": ineligible},
    )


def not_already_aided(s: Subject) -> RuleResult:
    others = s.history.other_claims_holding_aid
    return RuleResult("ALREADY_AIDED", others == 0, {"other_claims_of_the_company": others})


def registry_record_present(s: Subject) -> RuleResult:
    return RuleResult("REGISTRY_NO_RECORD", s.registry is not None, {"siren": s.claim.siren}, sends_to_review=True)


def invoices_not_reused(s: Subject) -> RuleResult:
    sirens = sorted(s.history.sirens_reusing_invoices)
    return RuleResult("INVOICE_REUSED", not sirens, {"also_claimed_by_sirens": sirens}, sends_to_review=True)


def iban_not_shared(s: Subject) -> RuleResult:
    sirens = len(s.history.other_sirens_with_iban) + 1
    limit = s.programme.review.iban_shared_min_sirens
    return RuleResult(
        "IBAN_SHARED", sirens < limit, {"distinct_sirens": sirens, "review_from": limit}, sends_to_review=True
    )


# Code -> rule, as a programme file names them. Each rule reports under its own code (a unit test checks it).
RULES: dict[str, Rule] = {
    "FILED_OUTSIDE_WINDOW": filed_within_window,
    "COMPANY_CEASED": company_not_ceased,
    "HEADCOUNT_TOO_HIGH": headcount_below_limit,
    "TURNOVER_TOO_HIGH": turnover_within_limit,
    "ACTIVITY_TOO_RECENT": activity_old_enough,
    "NOT_CLOSED_TO_PUBLIC": closed_to_public_or_hotel,
    "NOT_REGISTERED_RCS_RM": registered_rcs_rm,
    "MANAGER_EMPLOYED_FULL_TIME": manager_not_employed_elsewhere,
    "DECLARATION_MISSING": declarations_made,
    "OVERSEAS_EXCLUDED": not_overseas_excluded,
    "FILED_BY_DIGITAL_PROVIDER": not_filed_by_excluded_filer,
    "EXPENSES_BELOW_MINIMUM": expenses_reach_minimum,
    "ALREADY_AIDED": not_already_aided,
    "REGISTRY_NO_RECORD": registry_record_present,
    "INVOICE_REUSED": invoices_not_reused,
    "IBAN_SHARED": iban_not_shared,
}
