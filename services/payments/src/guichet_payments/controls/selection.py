"""A campaign's selection, pure and reproducible: the same seed over the same paid claims selects the same ones,
whatever order they come in. Every claim a risk rule flags is selected; of the N others, ceil(N * percent / 100)
are drawn: those whose sha256(f"{seed}:{claim_id}") is lowest."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from guichet_payments.controls.model import PaidClaim

SAMPLED = "CONTROL_SAMPLED"


@dataclass(frozen=True)
class Selected:
    claim: PaidClaim
    grounds: tuple[str, ...]  # the risk codes that flagged it, or (CONTROL_SAMPLED,)


def draw_key(seed: int, claim_id: str) -> str:
    """The claim's place in the seed's draw (lowest first)."""
    return hashlib.sha256(f"{seed}:{claim_id}".encode()).hexdigest()


def sample_size(others: int, sampling_percent: Decimal) -> int:
    """ceil(others * percent / 100), in exact decimals (a float 7% of 100 must be 7, not 8)."""
    return math.ceil(Decimal(others) * sampling_percent / 100)


def select(
    population: Sequence[PaidClaim],
    *,
    seed: int,
    sampling_percent: Decimal,
    risk_of: Callable[[PaidClaim], Sequence[str]],
) -> list[Selected]:
    """The claims of `population` to control, by claim_id, with their grounds; `risk_of` gives the risk codes that
    flag a claim (none for most)."""
    flagged: list[Selected] = []
    others: list[PaidClaim] = []
    for claim in population:
        if grounds := tuple(risk_of(claim)):
            flagged.append(Selected(claim, grounds))
        else:
            others.append(claim)
    drawn = sorted(others, key=lambda c: (draw_key(seed, c.claim_id), c.claim_id))
    sampled = [Selected(c, (SAMPLED,)) for c in drawn[: sample_size(len(others), sampling_percent)]]
    return sorted(flagged + sampled, key=lambda s: s.claim.claim_id)


def as_decimal(percent: float) -> Decimal:
    """A programme's sampling rate as written in its file (0.1 stays 0.1, not 0.1000000000000000055...)."""
    return Decimal(str(percent))
