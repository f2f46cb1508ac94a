"""Seeded, deterministic stream of synthetic claims, each labelled with the outcome the programme predicts."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from faker import Faker

from guichet_common.contracts.status import ClaimStatus
from guichet_simulator.claim import LATER_RULES_FROM, PARIS, claim_event, random_submission_time
from guichet_simulator.company import CompanyProfile, random_company, registry_record
from guichet_simulator.identifiers import corrupt_siren, random_siren, random_siret
from guichet_simulator.invoices import InvoiceNumbering, eligible_total_cents, random_invoices, supplier_pool

MINIMUM_SPEND_CENTS = 45_000
DEFAULT_PROBLEM_SHARE = 0.15
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,50}$")


class Problem(StrEnum):
    """A deliberate defect, named after the reason code the programme gives for it."""

    EXPENSES_BELOW_MINIMUM = "EXPENSES_BELOW_MINIMUM"
    COMPANY_CEASED = "COMPANY_CEASED"
    REGISTRY_NO_RECORD = "REGISTRY_NO_RECORD"
    SIREN_INVALID = "SIREN_INVALID"
    HEADCOUNT_TOO_HIGH = "HEADCOUNT_TOO_HIGH"

    @property
    def expected_status(self) -> ClaimStatus:
        return _EXPECTED_STATUS[self]


_EXPECTED_STATUS: dict[Problem, ClaimStatus] = {
    Problem.EXPENSES_BELOW_MINIMUM: "rejected",
    Problem.COMPANY_CEASED: "rejected",
    Problem.REGISTRY_NO_RECORD: "under_review",
    Problem.SIREN_INVALID: "refused",
    Problem.HEADCOUNT_TOO_HIGH: "rejected",
}
GOOD_STATUS: ClaimStatus = "paid"  # with finance in the loop, a good claim ends paid


@dataclass(frozen=True)
class SimulatedClaim:
    event: dict
    registry_record: dict | None  # None: the registry publishes nothing for this SIREN
    expected_status: ClaimStatus
    expected_reasons: tuple[str, ...]

    @property
    def claim_id(self) -> str:
        return self.event["claim"]["claim_id"]

    @property
    def siren(self) -> str:
        return self.event["claim"]["applicant"]["siren"]


class ClaimGenerator:
    """Draws claims one after the other; the same (seed, run_id) always yields the same sequence.

    `run_id` goes into every claim_id (`CFN-<run_id>-<7-digit sequence>`) and into the seeding, so another run
    id draws other companies. It defaults to `S<seed>`. SIRENs are unique within a run; across runs they are
    drawn from 90 million, so two runs of n claims share about n² / 9e7 of them (an ALREADY_AIDED when both
    runs feed the same database).
    """

    def __init__(self, seed: int, *, run_id: str | None = None, problem_share: float = DEFAULT_PROBLEM_SHARE):
        run_id = f"S{seed}" if run_id is None else run_id
        if not _RUN_ID.match(run_id):
            raise ValueError(f"run_id must be 1-51 letters, digits or '-', starting alphanumeric: {run_id!r}")
        if not 0.0 <= problem_share <= 1.0:
            raise ValueError(f"problem_share must be within [0, 1]: {problem_share}")
        self.run_id = run_id
        self.problem_share = problem_share
        self._rng = random.Random(f"guichet-simulator/{seed}/{run_id}")
        self._fake = Faker("fr_FR")
        self._fake.seed_instance(self._rng.getrandbits(64))
        self._sirens: set[str] = set()
        self._sequence = 0
        self._suppliers = supplier_pool(self._rng, self._fake, self._new_siren)
        self._accountants = [self._new_siren() for _ in range(12)]
        self._numbering = InvoiceNumbering(self._rng)

    def __iter__(self) -> Iterator[SimulatedClaim]:
        while True:
            yield self.next_claim()

    def claims(self, count: int) -> list[SimulatedClaim]:
        return [self.next_claim() for _ in range(count)]

    def next_claim(self) -> SimulatedClaim:
        rng = self._rng
        problem = rng.choice(list(Problem)) if rng.random() < self.problem_share else None
        self._sequence += 1
        claim_id = f"CFN-{self.run_id}-{self._sequence:07d}"
        submitted_at = random_submission_time(rng)
        later_rules = submitted_at.astimezone(PARIS).date() >= LATER_RULES_FROM
        company = random_company(
            rng,
            self._fake,
            self._new_siren(),
            later_rules=later_rules,
            headcount=12 if problem is Problem.HEADCOUNT_TOO_HIGH else None,
        )
        if problem is Problem.SIREN_INVALID:
            invalid = corrupt_siren(rng, company.siren)
            self._sirens.add(invalid)
            company = replace(company, siren=invalid, siret=random_siret(rng, invalid))
        invoices = self._invoices(
            submitted_at.astimezone(PARIS).date(), below_minimum=problem is Problem.EXPENSES_BELOW_MINIMUM
        )
        event = claim_event(
            rng, company, claim_id=claim_id, submitted_at=submitted_at, invoices=invoices, filed_by=self._filed_by()
        )
        return SimulatedClaim(
            event=event,
            registry_record=_registry_record(company, problem),
            expected_status=problem.expected_status if problem else GOOD_STATUS,
            expected_reasons=(problem.value,) if problem else (),
        )

    def _invoices(self, submitted_on: date, *, below_minimum: bool) -> list[dict]:
        rng = self._rng
        # Amounts are priced on a grid, so the total lands within 1,000 cents of the target: keep a margin.
        while True:
            if below_minimum:
                target = rng.randint(9_000, MINIMUM_SPEND_CENTS - 2_000)
            else:
                target = round(rng.lognormvariate(0, 0.45) * 78_000)
                if not MINIMUM_SPEND_CENTS + 1_000 <= target <= 1_500_000:
                    continue
            invoices = random_invoices(
                rng,
                self._suppliers,
                self._numbering,
                submitted_on=submitted_on,
                total_incl_tax_cents=target,
                allow_support=not below_minimum,
            )
            if (eligible_total_cents(invoices) < MINIMUM_SPEND_CENTS) == below_minimum:
                return invoices

    def _filed_by(self) -> dict:
        if self._rng.random() < 0.2:
            return {"kind": "accountant", "siren": self._rng.choice(self._accountants)}
        return {"kind": "applicant"}

    def _new_siren(self) -> str:
        while True:
            siren = random_siren(self._rng)
            if siren not in self._sirens:
                self._sirens.add(siren)
                return siren


def generate_claims(
    count: int, seed: int, *, run_id: str | None = None, problem_share: float = DEFAULT_PROBLEM_SHARE
) -> list[SimulatedClaim]:
    """`count` claims for `seed`: identical on every call with the same arguments."""
    return ClaimGenerator(seed, run_id=run_id, problem_share=problem_share).claims(count)


def _registry_record(company: CompanyProfile, problem: Problem | None) -> dict | None:
    if problem in (Problem.REGISTRY_NO_RECORD, Problem.SIREN_INVALID):
        return None
    return registry_record(company, ceased=problem is Problem.COMPANY_CEASED)


def expected_outcomes(claims: Iterable[SimulatedClaim]) -> Counter[tuple[str, tuple[str, ...]]]:
    """How many claims should end in each (status, reasons)."""
    return Counter((c.expected_status, c.expected_reasons) for c in claims)
