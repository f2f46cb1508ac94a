"""Eligibility's pure domain: facts, rules, decisions. No I/O here."""

from guichet_eligibility.domain.decision import (
    APPROVED,
    REJECTED,
    UNDER_REVIEW,
    Decision,
    UnknownRule,
    check_rules_exist,
    decide,
    grant_for,
    subject_for,
    version_for,
    version_on,
)
from guichet_eligibility.domain.facts import (
    ClaimFacts,
    History,
    InvoiceFacts,
    PriorClaim,
    RegistryFacts,
    Subject,
    history_from,
    wall_time,
)
from guichet_eligibility.domain.ledger import Ledger
from guichet_eligibility.domain.rules import RULES, RuleResult

__all__ = [
    "APPROVED",
    "REJECTED",
    "RULES",
    "UNDER_REVIEW",
    "ClaimFacts",
    "Decision",
    "History",
    "InvoiceFacts",
    "Ledger",
    "PriorClaim",
    "RegistryFacts",
    "RuleResult",
    "Subject",
    "UnknownRule",
    "check_rules_exist",
    "decide",
    "grant_for",
    "history_from",
    "subject_for",
    "version_for",
    "version_on",
    "wall_time",
]
