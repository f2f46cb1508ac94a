"""A second programme in the same run: some good claims are filed with the regional scheme instead.

The regional scheme (programmes/pass-numerique-region-2021.toml) opens on 1 February 2021 and takes firms
under 10 employees; a good Chèque France Num claim that also meets those two conditions is a good regional
claim, since its dates, invoices and postcode already fit the wider regional windows.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

from guichet_simulator.claim import PARIS
from guichet_simulator.generator import GOOD_STATUS, SimulatedClaim

REGIONAL_PROGRAMME = "pass-numerique-region-2021"
REGIONAL_OPENS = dt.date(2021, 2, 1)
REGIONAL_MAX_HEADCOUNT = 9


def fits_regional(claim: SimulatedClaim) -> bool:
    applicant = claim.event["claim"]["applicant"]
    submitted = dt.datetime.fromisoformat(claim.event["claim"]["submitted_at"]).astimezone(PARIS).date()
    return (
        claim.expected_status == GOOD_STATUS
        and applicant["headcount"] <= REGIONAL_MAX_HEADCOUNT
        and submitted >= REGIONAL_OPENS
    )


def as_regional(claim: SimulatedClaim) -> SimulatedClaim:
    event = copy.deepcopy(claim.event)
    event["claim"]["programme"] = REGIONAL_PROGRAMME
    return replace(claim, event=event)


def mix_programmes(claims: Iterable[SimulatedClaim], every: int = 6) -> list[SimulatedClaim]:
    """Every `every`-th claim that fits the regional scheme is filed with it instead."""
    mixed, fitting = [], 0
    for claim in claims:
        if fits_regional(claim):
            fitting += 1
            if fitting % every == 0:
                claim = as_regional(claim)
        mixed.append(claim)
    return mixed


def programme_of(claim: SimulatedClaim) -> str:
    return claim.event["claim"]["programme"]
