"""The history claims are judged against, kept in memory while they are judged: the one index of claims by
SIREN, IBAN and invoice that the service, manual review and what-if replays all judge with.

A batch is judged with one read of the related claims instead of one per claim. For that to change nothing, claim
N of a batch must see exactly what it would have seen had the claims come one by one: the stored claims, the
batch's claims 1..N-1 (waiting or with their fresh decisions), and none of the batch's later claims. A what-if
replay starts from an empty ledger and each replayed decision takes its place in it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from guichet_eligibility.domain.facts import ClaimFacts, PriorClaim
from guichet_eligibility.domain.statuses import holds_aid


@dataclass
class Ledger:
    """Related claims by programme, indexed by SIREN, IBAN fingerprint and invoice key."""

    _claims: dict[str, PriorClaim] = field(default_factory=dict)
    _by_siren: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    _by_iban: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    _by_invoice: dict[tuple[str, tuple[str, str]], set[str]] = field(default_factory=lambda: defaultdict(set))
    _not_arrived: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, known: Iterable[tuple[str, PriorClaim]], batch: Iterable[str]) -> Ledger:
        """`known`: (programme, claim) pairs as stored, the batch's own claims included; `batch`: the ids of the
        batch's claims, which count as history only once they have arrived."""
        ledger = cls()
        for programme, claim in known:
            ledger._add(programme, claim)
        ledger._not_arrived = set(batch)
        return ledger

    def arrive(self, claim_id: str) -> None:
        """A batch claim takes its place in the history of the claims after it (judged or left waiting)."""
        self._not_arrived.discard(claim_id)

    def prior_for(self, facts: ClaimFacts) -> list[PriorClaim]:
        """The claims related to `facts` that arrived before it (`facts` itself arrives now)."""
        self.arrive(facts.claim_id)
        programme = facts.programme
        ids = set(self._by_siren.get((programme, facts.siren), ()))
        if facts.iban_fingerprint is not None:
            ids |= self._by_iban.get((programme, facts.iban_fingerprint), set())
        for key in facts.invoice_keys():
            ids |= self._by_invoice.get((programme, key), set())
        ids -= self._not_arrived
        ids.discard(facts.claim_id)
        return [self._claims[claim_id] for claim_id in sorted(ids)]

    def decided(self, facts: ClaimFacts, outcome: str) -> None:
        """A claim was just judged: the claims after it see it with its decision (stored or not before)."""
        known = self._claims.get(facts.claim_id)
        if known is not None:
            self._claims[facts.claim_id] = replace(known, holds_aid=holds_aid(outcome))
        else:
            self._add(
                facts.programme,
                PriorClaim(
                    facts.claim_id, facts.siren, holds_aid(outcome), facts.iban_fingerprint, facts.invoice_keys()
                ),
            )

    def _add(self, programme: str, claim: PriorClaim) -> None:
        self._claims[claim.claim_id] = claim
        self._by_siren[(programme, claim.siren)].add(claim.claim_id)
        if claim.iban_fingerprint is not None:
            self._by_iban[(programme, claim.iban_fingerprint)].add(claim.claim_id)
        for key in claim.invoice_keys:
            self._by_invoice[(programme, key)].add(claim.claim_id)
