"""The `claims.submitted.v1` event a portal publishes for one applicant."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from guichet_simulator.company import CompanyProfile

PARIS = ZoneInfo("Europe/Paris")
PROGRAMME = "cheque-france-num-2021"
SOURCE = "portal:cheque.francenum.gouv.fr"
FILING_OPENS = datetime(2021, 1, 28, 0, 0, 0, tzinfo=PARIS)
FILING_CLOSES = datetime(2021, 7, 31, 23, 59, 59, tzinfo=PARIS)
LATER_RULES_FROM = date(2021, 5, 10)  # submissions from this Paris date are judged by the 2021-05-10 rules

# Portal traffic by hour of the day (Paris): quiet at night, busy in the evening after closing time.
_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 7, 7, 8, 8, 8, 8, 9, 10, 10, 8, 5, 2)


def random_submission_time(rng: random.Random) -> datetime:
    """An instant in the filing window, in Paris time with its offset (+01:00 or +02:00)."""
    days = (FILING_CLOSES.date() - FILING_OPENS.date()).days
    day = FILING_OPENS.date() + timedelta(days=rng.randint(0, days))
    hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
    local = datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), rng.randint(0, 59), tzinfo=PARIS)
    # A round trip through UTC turns a wall time skipped by the spring DST change into a real instant.
    return local.astimezone(UTC).astimezone(PARIS)


def random_uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def rfc3339(instant: datetime) -> str:
    return instant.astimezone(PARIS).isoformat(timespec="seconds")


def claim_event(
    rng: random.Random,
    company: CompanyProfile,
    *,
    claim_id: str,
    submitted_at: datetime,
    invoices: list[dict],
    filed_by: dict,
) -> dict:
    """The event as the portal sends it, a few seconds after the applicant pressed "submit"."""
    address = {"line1": company.address_line1, "postcode": company.postcode, "city": company.city, "country": "FR"}
    contact = {"full_name": company.manager_full_name, "email": company.manager_email}
    if company.manager_phone:
        contact["phone"] = company.manager_phone
    bank_account = {"iban": company.iban, "holder_name": company.account_holder}
    if company.bic and rng.random() < 0.6:
        bank_account["bic"] = company.bic
    return {
        "event_id": random_uuid4(rng),
        "event_type": "claim.submitted",
        "schema_version": 1,
        "occurred_at": rfc3339(submitted_at + timedelta(seconds=rng.randint(1, 30))),
        "source": SOURCE,
        "claim": {
            "claim_id": claim_id,
            "programme": PROGRAMME,
            "submitted_at": rfc3339(submitted_at),
            "applicant": {
                "siren": company.siren,
                "siret": company.siret,
                "legal_name": company.legal_name,
                "naf_code": company.naf_code,
                "headcount": company.headcount,
                "annual_turnover_cents": company.annual_turnover_cents,
                "activity_started_on": company.activity_started_on.isoformat(),
                "closed_to_public_since_2020_10_30": company.closed_to_public_since_2020_10_30,
                "registered_rcs_rm": company.registered_rcs_rm,
                "manager_full_time_employee_since_2020_10_30": company.manager_full_time_employee_since_2020_10_30,
                "address": address,
            },
            "contact": contact,
            "bank_account": bank_account,
            "invoices": invoices,
            "declarations": {
                "tax_and_social_obligations_met": True,
                "not_in_liquidation": True,
                "information_accurate": True,
            },
            "filed_by": filed_by,
        },
    }
