"""What-if replay: re-judge past claims under another rule version or an edited programme, changing nothing.

Claims are replayed in arrival order by the service's own `domain.judge`, on a ledger that starts empty: the history
the rules see (other claims of the company, shared IBANs and invoices) is the replayed decisions, so a change that
frees or blocks one claim carries on to the claims after it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import asyncpg

from guichet_eligibility import domain
from guichet_eligibility.repository import DecidedClaim
from guichet_eligibility.translate import claim_facts, stored_claim
from guichet_eligibility.unit_of_work import EligibilityUnitOfWork, EligibilityWork
from guichet_programme import Programme


@dataclass(frozen=True)
class ChangedDecision:
    claim_id: str
    before: tuple[str, tuple[str, ...]]
    after: tuple[str, tuple[str, ...]]
    because: tuple[str, ...]  # the rules whose verdict changed, with what they saw now


@dataclass
class WhatIfReport:
    programme: str
    claims: int = 0
    before: Counter[str] = field(default_factory=Counter)
    after: Counter[str] = field(default_factory=Counter)
    transitions: Counter[str] = field(default_factory=Counter)
    newly_failing: Counter[str] = field(default_factory=Counter)
    newly_passing: Counter[str] = field(default_factory=Counter)
    granted_before_cents: int = 0
    granted_after_cents: int = 0
    changes: list[ChangedDecision] = field(default_factory=list)


async def replay(conn: asyncpg.Connection, programme: Programme, rule_version: str | None = None) -> WhatIfReport:
    """The console's entry point: `replay_decided` on `conn` (read only: call inside a read-only transaction)."""
    return await replay_decided(EligibilityUnitOfWork(conn), programme, rule_version)


async def replay_decided(uow: EligibilityWork, programme: Programme, rule_version: str | None = None) -> WhatIfReport:
    """Judge again every decided claim of `programme`, under `rule_version` for all if given; writes nothing."""
    version = programme.version(rule_version) if rule_version else None
    report = WhatIfReport(programme.id)
    decided = await uow.claims.decided_claims(programme.id)
    registry = await uow.companies.registry_facts_for(sorted({claim.siren for claim in decided}))
    facts = [claim_facts(stored_claim(claim.payload), claim.iban_fingerprint) for claim in decided]
    judged = domain.judge(facts, registry, domain.Ledger(), {programme.id: programme}, version=version)
    for claim, judgement in zip(decided, judged, strict=True):
        _tally(report, claim, judgement.decision)
    return report


def _tally(report: WhatIfReport, claim: DecidedClaim, decision: domain.Decision) -> None:
    before = (claim.outcome, claim.reasons)
    after: tuple[str, tuple[str, ...]] = (decision.outcome, decision.reasons)
    report.claims += 1
    report.before[before[0]] += 1
    report.after[after[0]] += 1
    report.granted_before_cents += claim.granted_cents
    report.granted_after_cents += decision.grant_cents
    if before == after:
        return
    same_outcome = " (other reasons)" if before[0] == after[0] else ""
    report.transitions[f"{before[0]} -> {after[0]}{same_outcome}"] += 1
    was_failing = {r["code"] for r in claim.rule_results if not r["passed"]}
    now_failing = {r.code for r in decision.results if not r.passed}
    report.newly_failing.update(now_failing - was_failing)
    report.newly_passing.update(was_failing - now_failing)
    because = tuple(
        f"{r.code} now {'fails' if not r.passed else 'passes'}: {r.observed}"
        for r in decision.results
        if (r.code in now_failing) != (r.code in was_failing)
    )
    report.changes.append(ChangedDecision(claim.claim_id, before, after, because))
