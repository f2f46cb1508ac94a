"""The named risk rules a programme's `[controls] risk_rules` lists: each flags a paid claim for control whatever
the random draw. Pure: a rule reads the claim's recorded facts and the programme's controls section."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from guichet_payments.controls.model import PaidClaim
from guichet_programme import Controls, Programme

RiskRule = Callable[[PaidClaim, Controls], bool]


def fraud_signal(claim: PaidClaim, controls: Controls) -> bool:
    """A fraud signal was among the codes that sent the claim to review."""
    return bool(set(claim.facts.reviewed_reasons) & controls.fraud_signals)


def reviewed(claim: PaidClaim, controls: Controls) -> bool:
    """A person approved it after review, rather than the rules alone."""
    return claim.facts.approved_by_person


def digital_provider(claim: PaidClaim, controls: Controls) -> bool:
    """One of its suppliers is among the programme's watched digital providers."""
    return bool(set(claim.facts.supplier_sirens) & controls.digital_providers)


def bank_changed(claim: PaidClaim, controls: Controls) -> bool:
    """Paid to an account given after a transfer to another one was returned."""
    return claim.bank_changed


RULES: Mapping[str, RiskRule] = {
    "CONTROL_RISK_FRAUD_SIGNAL": fraud_signal,
    "CONTROL_RISK_REVIEWED": reviewed,
    "CONTROL_RISK_DIGITAL_PROVIDER": digital_provider,
    "CONTROL_RISK_BANK_CHANGED": bank_changed,
}


class UnknownRiskRule(ValueError):
    """A programme file names a risk rule payments does not have: the service refuses to start."""


def check_risk_rules(programmes: Iterable[Programme]) -> None:
    """At start-up: every programme's risk rules exist, so that no campaign silently skips one."""
    for programme in programmes:
        if unknown := sorted(set(programme.controls.risk_rules) - RULES.keys()):
            raise UnknownRiskRule(f"programme {programme.id}: unknown risk rule(s) {', '.join(unknown)}")


def risk_grounds(claim: PaidClaim, rules: Iterable[str], controls: Controls) -> list[str]:
    """The codes of `rules` that flag `claim`, in the order the programme lists them."""
    return [code for code in rules if RULES[code](claim, controls)]
