"""Controls in memory (`uow.controls`), with the paid claims a campaign can draw from set by the tests (`paid`:
each claim and its settlement time), as the population query would find them in PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from guichet_payments.controls.model import Campaign, Control, PaidClaim, RiskFacts


class UniqueViolation(Exception):
    """What PostgreSQL's primary keys would refuse."""


class InMemoryControls:
    def __init__(self) -> None:
        self.facts: dict[str, RiskFacts] = {}
        self.paid: dict[str, tuple[PaidClaim, dt.datetime]] = {}
        self.campaigns: dict[str, Campaign] = {}
        self.controls: dict[str, Control] = {}

    async def record_risk_facts(self, facts: Sequence[RiskFacts]) -> None:
        for fact in facts:
            self.facts.setdefault(fact.claim_id, fact)

    async def population(
        self, programme: str, paid_before: dt.datetime, opened_before: dt.datetime | None = None
    ) -> list[PaidClaim]:
        def controlled_before(claim_id: str) -> bool:
            control = self.controls.get(claim_id)
            if control is None:
                return False
            return opened_before is None or self.campaigns[control.campaign_id].opened_at < opened_before

        return [
            dataclasses.replace(claim, facts=self.facts.get(claim.claim_id, RiskFacts(claim.claim_id)))
            for claim, settled_at in sorted(self.paid.values(), key=lambda p: p[0].claim_id)
            if claim.programme == programme and settled_at <= paid_before and not controlled_before(claim.claim_id)
        ]

    async def campaign(self, campaign_id: str) -> Campaign | None:
        return self.campaigns.get(campaign_id)

    async def add_campaign(self, campaign: Campaign, controls: Sequence[Control]) -> None:
        if campaign.campaign_id in self.campaigns or {c.claim_id for c in controls} & self.controls.keys():
            raise UniqueViolation(campaign.campaign_id)
        self.campaigns[campaign.campaign_id] = campaign
        self.controls |= {c.claim_id: c for c in controls}

    async def control(self, claim_id: str) -> Control | None:
        return self.controls.get(claim_id)

    async def record_outcome(self, control: Control) -> None:
        written = ("outcome", "reason_code", "amount_undue_cents", "decided_by", "seconded_by", "decided_at")
        stored = self.controls[control.claim_id]
        self.controls[control.claim_id] = dataclasses.replace(stored, **{f: getattr(control, f) for f in written})
