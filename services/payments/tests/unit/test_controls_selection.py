"""A campaign's selection: reproducible from its seed whatever the order of the claims, exactly ceil(N * percent /
100) of the unflagged ones, and every claim a risk rule flags; the named risk rules and their start-up check."""

from __future__ import annotations

import math
import random
from decimal import Decimal

import pytest

from guichet_payments.controls.model import PaidClaim, RiskFacts
from guichet_payments.controls.risk import RULES, UnknownRiskRule, check_risk_rules, risk_grounds
from guichet_payments.controls.selection import SAMPLED, as_decimal, sample_size, select

from .fakes import PROGRAMME


def claim(n: int, *, bank_changed: bool = False, **facts: object) -> PaidClaim:
    claim_id = f"CFN-UNIT-{n:07d}"
    return PaidClaim(
        claim_id, f"P-{n}", PROGRAMME.id, f"{100000000 + n}", 50_000, RiskFacts(claim_id, **facts), bank_changed
    )  # type: ignore[arg-type]


CONTROLS = PROGRAMME.controls.model_copy(
    update={"fraud_signals": frozenset({"IBAN_SHARED"}), "digital_providers": frozenset({"552100554"})}
)
ALL_RULES = tuple(RULES)


def drawn(population: list[PaidClaim], seed: int, percent: str = "10") -> list[tuple[str, tuple[str, ...]]]:
    selected = select(
        population,
        seed=seed,
        sampling_percent=Decimal(percent),
        risk_of=lambda c: risk_grounds(c, ALL_RULES, CONTROLS),
    )
    return [(s.claim.claim_id, s.grounds) for s in selected]


def test_each_risk_rule_flags_its_own_fact() -> None:
    assert risk_grounds(claim(1, reviewed_reasons=("IBAN_SHARED",)), ALL_RULES, CONTROLS) == [
        "CONTROL_RISK_FRAUD_SIGNAL"
    ]
    assert risk_grounds(claim(2, reviewed_reasons=("SIREN_CLOSED",)), ALL_RULES, CONTROLS) == []
    assert risk_grounds(claim(3, approved_by_person=True), ALL_RULES, CONTROLS) == ["CONTROL_RISK_REVIEWED"]
    assert risk_grounds(claim(4, supplier_sirens=("552100554",)), ALL_RULES, CONTROLS) == [
        "CONTROL_RISK_DIGITAL_PROVIDER"
    ]
    assert risk_grounds(claim(5, bank_changed=True), ALL_RULES, CONTROLS) == ["CONTROL_RISK_BANK_CHANGED"]
    # Only the rules the programme lists count.
    assert risk_grounds(claim(5, bank_changed=True), ("CONTROL_RISK_REVIEWED",), CONTROLS) == []


def test_a_programme_naming_an_unknown_risk_rule_is_refused_at_start_up() -> None:
    check_risk_rules([PROGRAMME])
    wrong = PROGRAMME.model_copy(
        update={"controls": PROGRAMME.controls.model_copy(update={"risk_rules": ("CONTROL_RISK_MOON_PHASE",)})}
    )
    with pytest.raises(UnknownRiskRule, match="CONTROL_RISK_MOON_PHASE"):
        check_risk_rules([PROGRAMME, wrong])


def test_the_same_seed_selects_the_same_claims_whatever_their_order() -> None:
    population = [claim(n) for n in range(200)]
    first = drawn(population, seed=42)
    shuffled = population[:]
    random.Random(7).shuffle(shuffled)
    assert drawn(shuffled, seed=42) == first
    assert drawn(population, seed=43) != first  # another seed, another sample


@pytest.mark.parametrize(("size", "percent"), [(200, "10"), (101, "5"), (100, "7"), (3, "0.1"), (0, "5"), (9, "0")])
def test_the_sample_is_exactly_ceil_of_the_rate(size: int, percent: str) -> None:
    selected = drawn([claim(n) for n in range(size)], seed=1, percent=percent)
    assert len(selected) == math.ceil(size * Decimal(percent) / 100)
    assert all(grounds == (SAMPLED,) for _, grounds in selected)


def test_flagged_claims_are_always_in_and_the_rate_applies_to_the_others() -> None:
    population = [claim(n) for n in range(100)] + [claim(100 + n, approved_by_person=True) for n in range(5)]
    selected = dict(drawn(population, seed=9, percent="10"))
    assert all(selected[f"CFN-UNIT-{100 + n:07d}"] == ("CONTROL_RISK_REVIEWED",) for n in range(5))
    assert sum(grounds == (SAMPLED,) for grounds in selected.values()) == 10  # 10% of the 100 unflagged


def test_the_draw_takes_the_lowest_digests_and_the_rate_is_exact() -> None:
    import hashlib

    population = [claim(n) for n in range(20)]
    lowest = sorted(population, key=lambda c: hashlib.sha256(f"5:{c.claim_id}".encode()).hexdigest())[:2]
    assert [c for c, _ in drawn(population, seed=5)] == sorted(c.claim_id for c in lowest)
    assert sample_size(100, as_decimal(7.0)) == 7 and sample_size(3, as_decimal(0.1)) == 1
