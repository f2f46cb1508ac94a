"""Eligibility's pure domain: facts, rules, decisions. No I/O here."""

from guichet_eligibility.domain.decision import (
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
from guichet_eligibility.domain.invoices import InvoiceRejection, InvoiceRejectionCode
from guichet_eligibility.domain.judgement import Judgement, judge
from guichet_eligibility.domain.ledger import Ledger
from guichet_eligibility.domain.rules import RULES, RuleResult
from guichet_eligibility.domain.statuses import (
    APPROVED,
    AWAITING_REGISTRY,
    HOLDING_AID,
    REJECTED,
    UNDER_REVIEW,
    Outcome,
    holds_aid,
)

__all__ = [
    "APPROVED",
    "AWAITING_REGISTRY",
    "HOLDING_AID",
    "REJECTED",
    "RULES",
    "UNDER_REVIEW",
    "ClaimFacts",
    "Decision",
    "History",
    "InvoiceFacts",
    "InvoiceRejection",
    "InvoiceRejectionCode",
    "Judgement",
    "Ledger",
    "Outcome",
    "PriorClaim",
    "RegistryFacts",
    "RuleResult",
    "Subject",
    "UnknownRule",
    "check_rules_exist",
    "decide",
    "grant_for",
    "history_from",
    "holds_aid",
    "judge",
    "subject_for",
    "version_for",
    "version_on",
    "wall_time",
]
