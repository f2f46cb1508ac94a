"""The acceptance corpus's vocabulary: programme constants, expected statuses, the data model (`Submission`,
`Case`) and the identifier makers with the allocator `IDS` that hands out every SIREN and IBAN in order.

Part of the corpus loaded through `cases.py` (which puts this folder on sys.path): import it from there.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from schwifty import IBAN
from stdnum import luhn

PARIS = ZoneInfo("Europe/Paris")
PROGRAMME = "cheque-france-num-2021"

# The programme configuration references exactly these two SIRENs as digitalisation-support providers.
REFERENCED_PROVIDERS = ("534640974", "302466339")
NOT_REFERENCED_PROVIDER = "629923129"  # a valid SIREN that the configuration does NOT reference
LA_POSTE_SIREN = "356000000"
SUPPLIER_SIREN = "735911281"  # the example's web agency: valid, not a provider, never an applicant here
SUPPLIER_VAT = "FR40123456789"  # the example's host (VAT number only)

# Identifiers other e2e tests of the same session (one stack per session) use: the corpus never uses them.
FOREIGN_SIRENS = frozenset({"642515712", "732829320", "611037532", "642210199"})
FOREIGN_IBANS = frozenset(
    {
        "FR7693233145437431125912957",
        "FR7630001007941234567890185",
        "FR7630004000031234567890143",
        "FR7630006000011234567890189",
    }
)
RESERVED_SIRENS = FOREIGN_SIRENS | {*REFERENCED_PROVIDERS, NOT_REFERENCED_PROVIDER, LA_POSTE_SIREN, SUPPLIER_SIREN}

# Submission instants, one per rule version (Europe/Paris offsets).
V1_AT = "2021-03-02T10:15:00+01:00"  # rule version 2021-01-28
V2_AT = "2021-06-15T14:30:00+02:00"  # rule version 2021-05-10

DECISIONS = frozenset({"approved", "rejected", "under_review"})

Status = tuple[str, frozenset[str]]


def st(status: str, *codes: str) -> Status:
    return (status, frozenset(codes))


RECEIVED = st("received")
APPROVED = (RECEIVED, st("approved"), st("payment_scheduled"), st("payment_sent"))
NOTHING: tuple[Status, ...] = ()


def refused(*codes: str) -> tuple[Status, ...]:
    return (RECEIVED, st("refused", *codes))


def rejected(*codes: str) -> tuple[Status, ...]:
    return (RECEIVED, st("rejected", *codes))


def review(*codes: str) -> tuple[Status, ...]:
    return (RECEIVED, st("under_review", *codes))


def rule_version_for(submitted_at: str) -> str | None:
    """The rule version the specification assigns to a claim, judged on its Europe/Paris date; None outside."""
    day = dt.datetime.fromisoformat(submitted_at.replace("Z", "+00:00")).astimezone(PARIS).date()
    if dt.date(2021, 1, 28) <= day <= dt.date(2021, 5, 9):
        return "2021-01-28"
    if dt.date(2021, 5, 10) <= day <= dt.date(2021, 7, 31):
        return "2021-05-10"
    return None


# --------------------------------------------------------------------------------------------------- data model


@dataclass(frozen=True)
class Submission:
    """One claims.submitted.v1 event and the statuses it must add on claims.status.v1 (keyed by claim_id)."""

    event: dict
    key: str  # the Kafka key: the applicant SIREN, as sent
    expected: tuple[Status, ...]
    schema_valid: bool = True
    rule_version: str | None = None  # expected on decision statuses (approved / rejected / under_review)

    @property
    def claim_id(self) -> str:
        return self.event["claim"]["claim_id"]

    @property
    def event_id(self) -> str:
        return self.event["event_id"]

    def value(self) -> bytes:
        return json.dumps(self.event, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class Case:
    name: str
    spec: str  # the line of the specification it tests (short quote)
    registry: tuple[dict, ...]  # registry.companies.v1 records to publish first (key = siren)
    submissions: tuple[Submission, ...]  # published in order, each after the previous one's final status
    tag: str = ""

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(code for sub in self.submissions for _, codes in sub.expected for code in codes)

    @property
    def expected_by_claim(self) -> dict[str, list[Status]]:
        out: dict[str, list[Status]] = {}
        for sub in self.submissions:
            out.setdefault(sub.claim_id, []).extend(sub.expected)
        return out


# ------------------------------------------------------------------------------------------- identifier makers


def rib_key(bank: str, branch: str, account: str) -> str:
    """The French national check key (clé RIB) of a BBAN, letters of the account mapped as the norm says."""
    letters = {c: str("123456789123456789234567890"[i]) for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
    digits = "".join(letters.get(c, c) for c in account.upper())
    return f"{97 - ((89 * int(bank) + 15 * int(branch) + 3 * int(digits)) % 97):02d}"


def iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616 check digits (mod 97-10) for any BBAN: lets the corpus build a wrong-length IBAN whose mod-97 is OK."""
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{98 - int(numeric) % 97:02d}"


def with_luhn(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def siret_of(siren: str, establishment: int = 1) -> str:
    return with_luhn(f"{siren}{establishment:04d}")


@dataclass(frozen=True)
class Company:
    tag: str  # e.g. "K017": names claim ids, invoice numbers, e-mail
    siren: str
    siret: str
    iban: str
    name: str


class _Allocator:
    """Deterministic, never-repeating SIRENs (Luhn-valid) and French IBANs (valid RIB key and mod-97)."""

    def __init__(self) -> None:
        self._sirens = 0
        self._ibans = 0
        self._cases = 0

    def next_tag(self) -> str:
        self._cases += 1
        return f"K{self._cases:03d}"

    def siren(self) -> str:
        while True:
            self._sirens += 1
            candidate = with_luhn(f"{81_000_000 + self._sirens * 7_919:08d}")
            if candidate not in RESERVED_SIRENS:
                return candidate

    def iban(self) -> str:
        self._ibans += 1
        bank, branch, account = "30004", f"{10_000 + self._ibans:05d}", f"{7_000_000_000 + self._ibans * 37:011d}"
        generated = str(IBAN.generate("FR", bank_code=bank, branch_code=branch, account_code=account))
        assert generated[-2:] == rib_key(bank, branch, account), generated
        return generated


IDS = _Allocator()
