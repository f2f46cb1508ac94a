"""Controls as operators read them (`operators`: the console's `guichet controls preview|list|show --verify`),
read-only on payments' database. Answers are plain dicts and lists, ready for JSON.

A preview and a verification draw with the same code a campaign does (`selection.select`), so what they show is
what a campaign selects (or selected). A verification takes the campaign's stored seed, rate, risk rules and
cut-off, and leaves out only the claims of campaigns opened before it: later campaigns cannot change its draw."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import asyncpg

from guichet_payments.controls.model import PaidClaim
from guichet_payments.controls.repository import ControlsRepository
from guichet_payments.controls.risk import risk_grounds
from guichet_payments.controls.selection import Selected, as_decimal, select
from guichet_payments.settings import PaymentsSettings
from guichet_programme import Programme, load_programmes


def _programmes(programmes: Mapping[str, Programme] | None) -> Mapping[str, Programme]:
    return programmes if programmes is not None else load_programmes(PaymentsSettings().programmes_dir)


def _draw(
    population: Sequence[PaidClaim], programme: Programme, seed: int, percent: Decimal, rules: Sequence[str]
) -> list[Selected]:
    settings = programme.controls
    return select(population, seed=seed, sampling_percent=percent, risk_of=lambda c: risk_grounds(c, rules, settings))


def _drawn(selected: Sequence[Selected]) -> list[dict[str, Any]]:
    return [
        {
            "claim_id": s.claim.claim_id,
            "payment_id": s.claim.payment_id,
            "siren": s.claim.siren,
            "paid_cents": s.claim.paid_cents,
            "grounds": list(s.grounds),
        }
        for s in selected
    ]


async def preview_selection(
    conn: asyncpg.Connection,
    programme: str,
    seed: int,
    paid_before: dt.datetime,
    *,
    programmes: Mapping[str, Programme] | None = None,
) -> dict[str, Any]:
    """What a campaign of `programme` opened now with `seed` would select (nothing recorded): `population` (the
    claims settled at or before `paid_before`, not controlled yet) and `selected`, each with its grounds."""
    found = _programmes(programmes)
    if programme not in found:
        raise KeyError(f"programme inconnu de payments : {programme}")
    settings = found[programme].controls
    population = await ControlsRepository(conn).population(programme, paid_before)
    drawn = _draw(population, found[programme], seed, as_decimal(settings.sampling_percent), settings.risk_rules)
    return {"programme": programme, "population": len(population), "selected": _drawn(drawn)}


async def campaigns(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """Every campaign, the last opened first."""
    found = await ControlsRepository(conn).campaigns()
    return [dataclasses.asdict(c) for c in reversed(found)]


async def campaign(conn: asyncpg.Connection, campaign_id: str) -> dict[str, Any] | None:
    """The campaign and its `controls` (selected claims, their grounds and outcomes); None when there is none."""
    repository = ControlsRepository(conn)
    found = await repository.campaign(campaign_id)
    if found is None:
        return None
    controls = [dataclasses.asdict(c) for c in await repository.selection(campaign_id)]
    return dataclasses.asdict(found) | {"controls": controls}


async def verify_campaign(
    conn: asyncpg.Connection, campaign_id: str, *, programmes: Mapping[str, Programme] | None = None
) -> dict[str, Any]:
    """The stored campaign drawn again from its seed: `matches` when the same claims come out on the same grounds;
    `missing` (recorded, not drawn again) and `extra` (drawn again, not recorded) name those that differ."""
    repository = ControlsRepository(conn)
    stored = await repository.campaign(campaign_id)
    if stored is None:
        raise KeyError(f"aucune campagne {campaign_id}")
    programme = _programmes(programmes).get(stored.programme)
    if programme is None:
        raise KeyError(f"programme inconnu de payments : {stored.programme}")
    population = await repository.population(stored.programme, stored.paid_before, stored.opened_at)
    drawn = _draw(population, programme, stored.seed, stored.sampling_percent, stored.risk_rules)
    again = {s.claim.claim_id: s.grounds for s in drawn}
    recorded = {c.claim_id: c.grounds for c in await repository.selection(campaign_id)}
    return {
        "campaign_id": campaign_id,
        "matches": again == recorded and len(population) == stored.population,
        "selected": len(recorded),
        "population": len(population),
        "drawn": sorted(again),
        "missing": sorted(recorded.keys() - again.keys()),
        "extra": sorted(again.keys() - recorded.keys()),
        "grounds_differ": sorted(c for c in again.keys() & recorded.keys() if again[c] != recorded[c]),
    }
