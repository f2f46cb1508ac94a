"""Intake checks: is a submission well-formed enough to register? Pure functions, no I/O.

Identifier checks use python-stdnum (SIREN/SIRET Luhn, La Poste rule included) and schwifty (IBAN, through
`guichet_common.canonical`), both maintained libraries, rather than hand-written checksums.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from stdnum import luhn
from stdnum.fr import siren as siren_number

from guichet_common.canonical import Refused, canonical_iban

SCHEMA_INVALID = "SCHEMA_INVALID"
SIREN_INVALID = "SIREN_INVALID"
SIRET_INVALID = "SIRET_INVALID"
IBAN_INVALID = "IBAN_INVALID"
UNKNOWN_PROGRAMME = "UNKNOWN_PROGRAMME"
CLAIM_ID_CONFLICT = "CLAIM_ID_CONFLICT"
SOURCE_MISMATCH = "SOURCE_MISMATCH"
LA_POSTE_SIREN = "356000000"
# Where each kind of a claim's personal data sits in the claim intake keeps (kind -> payload part, its fields):
# what an erasure of that kind blanks, and what intake seals under the claim's key of that kind.
PERSONAL_PARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "contact": ("contact", ("full_name", "email", "phone")),
    "bank": ("bank_account", ("iban", "bic", "holder_name")),
}


@dataclass(frozen=True)
class Registration:
    """A claim that passed every check, as it is stored (bank account in canonical form)."""

    claim_id: str
    event_id: UUID
    programme: str
    siren: str
    digest: str
    payload: dict[str, Any]
    submitted_at: dt.datetime


@dataclass(frozen=True)
class Refusal:
    """A submission refused with its codes, kept for audit; never registered."""

    event_id: UUID
    claim_id: str | None
    codes: list[str]
    details: list[str]
    digest: str | None = None  # set when this refusal takes its claim_id (the first submission under it)


@dataclass(frozen=True)
class Identifiers:
    siren: str
    siret: str
    iban: str


def siren_is_valid(siren: str) -> bool:
    return siren_number.is_valid(siren)


def siret_is_valid(siret: str, siren: str) -> bool:
    """The SIRET's own checksum and its SIREN prefix; the SIREN's checksum is SIREN_INVALID's business.

    stdnum's `siret.is_valid` also re-checks the embedded SIREN, which would report one error twice, so only
    its SIREN-free part is reused here: Luhn, or for La Poste establishments (356000000...) a digit sum that
    is a multiple of 5.
    """
    if not (siret.isdigit() and len(siret) == 14 and siret.startswith(siren)):
        return False
    if siret.startswith(LA_POSTE_SIREN) and sum(map(int, siret)) % 5 == 0:
        return True
    return luhn.is_valid(siret)


def iban_is_valid(iban: str) -> bool:
    # mod-97 and the country's length and format, on the compact upper-case form intake keeps
    return not isinstance(canonical_iban(iban), Refused)


def identifier_refusals(ids: Identifiers) -> list[str]:
    """Every failing identifier code, in the specification's order."""
    codes = []
    if not siren_is_valid(ids.siren):
        codes.append(SIREN_INVALID)
    if not siret_is_valid(ids.siret, ids.siren):
        codes.append(SIRET_INVALID)
    if not iban_is_valid(ids.iban):
        codes.append(IBAN_INVALID)
    return codes


def programme_refusals(programme: str, configured: frozenset[str]) -> list[str]:
    return [] if programme in configured else [UNKNOWN_PROGRAMME]


def last4(iban: str) -> str:
    compact = "".join(iban.split())
    return compact[-4:]


def source_mismatch(declared: object, door: str | None, kafka_portals: frozenset[str]) -> bool:
    """Whether a claim names a sender other than the door it came through. A Kafka portal's own topic (`door`)
    carries only claims whose `source` is that portal; the shared topic carries none that names a Kafka portal,
    whose only door is its own (its principal is the only one allowed to write there)."""
    if door is not None:
        return declared != door
    return isinstance(declared, str) and declared in kafka_portals
