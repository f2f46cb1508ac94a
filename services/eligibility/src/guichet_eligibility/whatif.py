"""What-if replay: re-judge past claims under another rule version or an edited programme, changing nothing.

Claims are replayed in arrival order, and the history the rules see (other claims of the company, shared IBANs
and invoices) is rebuilt from the replayed decisions, so a change that frees or blocks one claim carries on to
the claims after it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import asyncpg

from guichet_eligibility import domain, repository
from guichet_eligibility.service import stored_claim
from guichet_eligibility.translate import claim_facts
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


class _Replayed:
    """The replayed claims, indexed the way the rules relate claims to each other."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], list[domain.PriorClaim]] = defaultdict(list)

    def related(self, facts: domain.ClaimFacts) -> list[domain.PriorClaim]:
        keys = [("siren", facts.siren), ("iban", facts.iban), *(("invoice", "|".join(k)) for k in facts.invoice_keys())]
        found = {p.claim_id: p for key in keys for p in self._by_key.get(key, [])}
        return list(found.values())

    def add(self, facts: domain.ClaimFacts, outcome: str) -> None:
        prior = domain.PriorClaim(
            facts.claim_id,
            facts.siren,
            outcome in (domain.APPROVED, domain.UNDER_REVIEW),
            facts.iban,
            facts.invoice_keys(),
        )
        for key in [
            ("siren", facts.siren),
            ("iban", facts.iban),
            *(("invoice", "|".join(k)) for k in prior.invoice_keys),
        ]:
            self._by_key[key].append(prior)


async def replay(conn: asyncpg.Connection, programme: Programme, rule_version: str | None = None) -> WhatIfReport:
    """Judge again every decided claim of `programme` (read only: call inside a read-only transaction)."""
    version = programme.version(rule_version) if rule_version else None
    report, replayed = WhatIfReport(programme.id), _Replayed()
    rows = await repository.decided_claims(conn, programme.id)
    registry = await repository.registry_facts_for(conn, sorted({row["siren"] for row in rows}))
    for row in rows:
        facts = claim_facts(stored_claim(row))
        subject = domain.subject_for(
            facts, registry.get(facts.siren), domain.history_from(replayed.related(facts), facts), programme, version
        )
        decision = domain.decide(subject)
        replayed.add(facts, decision.outcome)
        _tally(report, row, decision)
    return report


def _tally(report: WhatIfReport, row: asyncpg.Record, decision: domain.Decision) -> None:
    before = (row["outcome"], tuple(row["reasons"]))
    after = (decision.outcome, decision.reasons)
    report.claims += 1
    report.before[before[0]] += 1
    report.after[after[0]] += 1
    report.granted_before_cents += row["granted_cents"] or 0
    report.granted_after_cents += decision.grant_cents
    if before == after:
        return
    same_outcome = " (other reasons)" if before[0] == after[0] else ""
    report.transitions[f"{before[0]} -> {after[0]}{same_outcome}"] += 1
    was_failing = {r["code"] for r in row["rule_results"] if not r["passed"]}
    now_failing = {r.code for r in decision.results if not r.passed}
    report.newly_failing.update(now_failing - was_failing)
    report.newly_passing.update(was_failing - now_failing)
    because = tuple(
        f"{r.code} now {'fails' if not r.passed else 'passes'}: {r.observed}"
        for r in decision.results
        if (r.code in now_failing) != (r.code in was_failing)
    )
    report.changes.append(ChangedDecision(row["claim_id"], before, after, because))
