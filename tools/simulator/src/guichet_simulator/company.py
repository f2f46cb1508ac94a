"""Very small French businesses: who applies, and what the registry knows about them."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker

from guichet_simulator import catalogue
from guichet_simulator.identifiers import random_iban, random_phone, random_siret

ACTIVITY_DEADLINE = date(2020, 10, 30)  # activity must have started strictly before
_OLDEST_ACTIVITY = date(1985, 1, 1)
MAX_TURNOVER_CENTS = 200_000_000


@dataclass(frozen=True)
class CompanyProfile:
    siren: str
    siret: str
    legal_name: str
    legal_category: str  # INSEE catégorie juridique, "1000" for a sole trader
    naf_code: str
    address_line1: str
    postcode: str
    city: str
    headcount: int
    annual_turnover_cents: int
    activity_started_on: date
    registry_created_on: date
    registered_rcs_rm: bool
    closed_to_public_since_2020_10_30: bool
    manager_full_time_employee_since_2020_10_30: bool
    iban: str
    bic: str | None
    account_holder: str
    manager_full_name: str
    manager_email: str
    manager_phone: str | None

    @property
    def is_hotel(self) -> bool:
        return self.naf_code == "55.10Z"


def headcount_band(headcount: int, *, employer: bool = True) -> str:
    """INSEE `trancheEffectifsUniteLegale` for a headcount ("NN": never employed anyone)."""
    if headcount == 0:
        return "00" if employer else "NN"
    for upper, band in ((2, "01"), (5, "02"), (9, "03"), (19, "11"), (49, "12"), (99, "21")):
        if headcount <= upper:
            return band
    return "22"


def ascii_slug(text: str) -> str:
    """'Hélène Lefèvre-Dupont' -> 'helene.lefevre-dupont', safe for the local part of an e-mail."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    kept = "".join(ch if ch.isalnum() or ch == "-" else "." for ch in plain)
    return ".".join(part for part in kept.split(".") if part)


def random_company(
    rng: random.Random,
    fake: Faker,
    siren: str,
    *,
    later_rules: bool,
    headcount: int | None = None,
) -> CompanyProfile:
    """A plausible applicant that meets every eligibility condition of its rule version.

    `later_rules` is True for claims judged by the 2021-05-10 rules: the closure and registration conditions
    no longer apply (so some applicants are open or unregistered), but a manager with a full-time job may not
    apply alone. `headcount` forces a headcount (to build a deliberately ineligible applicant).
    """
    trade = rng.choices(catalogue.TRADES, weights=[t.weight for t in catalogue.TRADES])[0]
    categories, weights = zip(*catalogue.LEGAL_CATEGORIES)
    category = rng.choices(categories, weights=weights)[0]
    first, last = fake.first_name(), fake.last_name()
    postcode, city = rng.choice(catalogue.PLACES)
    name = rng.choice(trade.name_templates).format(first=first, last=last, place=city)
    headcount = _headcount(rng) if headcount is None else headcount
    started = _activity_start(rng)
    iban, bic = random_iban(rng)
    sole_trader = category == catalogue.SOLE_TRADER
    manager = f"{first} {last}"
    if later_rules:
        registered = rng.random() < 0.92
        closed = rng.random() < 0.6
        full_time_job = headcount > 0 and rng.random() < 0.05
    else:
        registered = True
        closed = True if not trade.is_hotel else rng.random() < 0.5
        full_time_job = rng.random() < 0.05
    return CompanyProfile(
        siren=siren,
        siret=random_siret(rng, siren),
        legal_name=name,
        legal_category=category,
        naf_code=trade.naf_code,
        address_line1=fake.street_address(),
        postcode=postcode,
        city=city,
        headcount=headcount,
        annual_turnover_cents=_turnover_cents(rng, headcount),
        activity_started_on=started,
        registry_created_on=started - timedelta(days=rng.randint(0, 40)),
        registered_rcs_rm=registered,
        closed_to_public_since_2020_10_30=closed,
        manager_full_time_employee_since_2020_10_30=full_time_job,
        iban=iban,
        bic=bic,
        account_holder=(manager if sole_trader and rng.random() < 0.5 else name).upper(),
        manager_full_name=manager,
        manager_email=f"{ascii_slug(manager)}@{rng.choice(catalogue.EMAIL_DOMAINS)}",
        manager_phone=random_phone(rng) if rng.random() < 0.8 else None,
    )


def _headcount(rng: random.Random) -> int:
    low, high = rng.choices(((0, 0), (1, 2), (3, 5), (6, 9), (10, 10)), weights=(35, 30, 20, 12, 3))[0]
    return rng.randint(low, high)


def _activity_start(rng: random.Random) -> date:
    # Young businesses are the most common: a triangular draw leaning towards the deadline.
    span = (ACTIVITY_DEADLINE - _OLDEST_ACTIVITY).days - 15
    return _OLDEST_ACTIVITY + timedelta(days=int(rng.triangular(0, span, span * 0.85)))


def _turnover_cents(rng: random.Random, headcount: int) -> int:
    median_euros = 60_000 + 40_000 * headcount
    euros = min(rng.lognormvariate(0, 0.6) * median_euros, MAX_TURNOVER_CENTS / 100 * 0.95)
    return max(5_000, round(euros / 100) * 100) * 100


def registry_record(company: CompanyProfile, *, ceased: bool = False) -> dict:
    """The company's row of the SIRENE stock file, as published on `registry.companies.v1`."""
    sole_trader = company.legal_category == catalogue.SOLE_TRADER
    return {
        "siren": company.siren,
        "etatAdministratifUniteLegale": "C" if ceased else "A",
        "dateCreationUniteLegale": company.registry_created_on.isoformat(),
        "activitePrincipaleUniteLegale": company.naf_code,
        "trancheEffectifsUniteLegale": headcount_band(company.headcount, employer=not sole_trader),
        # SIRENE has no denomination for a sole trader (the person's name is held elsewhere).
        "denominationUniteLegale": None if sole_trader else company.legal_name.upper(),
        "categorieJuridiqueUniteLegale": company.legal_category,
    }
