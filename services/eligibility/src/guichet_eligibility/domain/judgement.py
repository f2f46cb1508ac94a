"""The one way claims are judged: by the service as they arrive, by manual review to know what an approval pays,
and by what-if replays under another rule version or an edited programme."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from guichet_eligibility.domain.decision import Decision, decide, grant_for, subject_for
from guichet_eligibility.domain.facts import ClaimFacts, RegistryFacts, Subject, history_from
from guichet_eligibility.domain.ledger import Ledger
from guichet_eligibility.domain.statuses import APPROVED
from guichet_programme import Programme, RuleVersion


@dataclass(frozen=True)
class Judgement:
    subject: Subject
    decision: Decision

    @property
    def claim_id(self) -> str:
        return self.subject.claim.claim_id

    @property
    def approval_grant_cents(self) -> int:
        """What approving the claim pays, whatever the rules decided: an operator may approve a claim under review."""
        return self.decision.grant_cents if self.decision.outcome == APPROVED else grant_for(self.subject)


def judge(
    claims: Sequence[ClaimFacts],
    registry: Mapping[str, RegistryFacts],
    ledger: Ledger,
    programmes: Mapping[str, Programme],
    *,
    in_order: Sequence[str] | None = None,
    version: RuleVersion | None = None,
) -> list[Judgement]:
    """Judge `claims` one after the other against their company's registry facts (by SIREN) and the related claims
    in `ledger`, which each decision updates so that later claims see it.

    `in_order`: the order the claims arrived in, claims that are not judged now included (they take their place in
    the history of the claims after them); by default the order of `claims`. `version`: one rule version for every
    claim (a what-if), instead of the one in force on each claim's submission date."""
    to_judge = {facts.claim_id: facts for facts in claims}
    judged: list[Judgement] = []
    for claim_id in in_order if in_order is not None else list(to_judge):
        facts = to_judge.get(claim_id)
        if facts is None:
            ledger.arrive(claim_id)
            continue
        history = history_from(ledger.prior_for(facts), facts)
        subject = subject_for(facts, registry.get(facts.siren), history, programmes[facts.programme], version)
        decision = decide(subject)
        ledger.decided(facts, decision.outcome)
        judged.append(Judgement(subject, decision))
    return judged
