"""Intake checks: is a submission well-formed enough to register? Pure functions, no I/O.

Identifier checks use python-stdnum (SIREN/SIRET Luhn, La Poste rule included) and schwifty (IBAN), both
maintained libraries, rather than hand-written checksums.
"""

from __future__ import annotations

from dataclasses import dataclass

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.fr import siren as siren_number
from stdnum.fr import siret as siret_number

SCHEMA_INVALID = "SCHEMA_INVALID"
SIREN_INVALID = "SIREN_INVALID"
SIRET_INVALID = "SIRET_INVALID"
IBAN_INVALID = "IBAN_INVALID"
UNKNOWN_PROGRAMME = "UNKNOWN_PROGRAMME"
CLAIM_ID_CONFLICT = "CLAIM_ID_CONFLICT"


@dataclass(frozen=True)
class Identifiers:
    siren: str
    siret: str
    iban: str


def siren_is_valid(siren: str) -> bool:
    return siren_number.is_valid(siren)


def siret_is_valid(siret: str, siren: str) -> bool:
    # stdnum applies the La Poste exception (356000000... valid when the digit sum is a multiple of 5).
    return siret_number.is_valid(siret) and siret.startswith(siren)


def iban_is_valid(iban: str) -> bool:
    try:
        IBAN(iban)  # mod-97 and the country's length and format
    except SchwiftyException:
        return False
    return True


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
    compact = iban.replace(" ", "")
    return compact[-4:]
