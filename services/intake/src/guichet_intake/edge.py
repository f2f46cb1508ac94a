"""Values that pass the schema but would break a later stage: canonicalised, or refused with a code. Pure.

A SEPA file needs a pain.001 BIC and a name in the SEPA character set; PostgreSQL, e-mail headers and terminals
need text without control characters; the registry deadline and Paris dates need timestamps far from datetime's
limits; a rate grant needs an excl.-tax amount that goes with the incl.-tax one. Intake keeps and forwards only
the canonical form (`guichet_common.canonical`), so every stage after it sees one spelling of each value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from guichet_common.canonical import (
    Refused,
    amounts_consistent,
    canonical_bic,
    canonical_iban,
    date_in_range,
    sepa_name,
    timestamp_in_range,
    unclean_text_paths,
)

BIC_INVALID = "BIC_INVALID"
HOLDER_NAME_UNWRITABLE = "HOLDER_NAME_UNWRITABLE"
TEXT_CONTROL_CHARACTERS = "TEXT_CONTROL_CHARACTERS"
DATE_OUT_OF_RANGE = "DATE_OUT_OF_RANGE"
AMOUNTS_INCONSISTENT = "AMOUNTS_INCONSISTENT"

# The highest VAT rate in France is 20 %; an invoice to a French business from another EU country is reverse-
# charged (no foreign VAT on it). Per-line rounding can add a few cents; a euro of slack covers any invoice.
MAX_VAT_PERCENT = 20
VAT_ROUNDING_SLACK_CENTS = 100
IBAN_PATH = "claim.bank_account.iban"


@dataclass(frozen=True)
class BankAccount:
    iban: str
    bic: str | None
    holder_name: str


@dataclass(frozen=True)
class Invoice:
    excl_tax_cents: int
    incl_tax_cents: int
    issued_on: dt.date


@dataclass(frozen=True)
class Submission:
    """What the edge looks at, already read from the contract by the service."""

    payload: dict[str, Any]  # the whole event as received, for the text check
    submitted_at: dt.datetime
    activity_started_on: dt.date
    bank: BankAccount
    invoices: tuple[Invoice, ...]


@dataclass(frozen=True)
class Verdict:
    """The canonical bank account, or the codes (in a fixed order) and where each problem is (no values)."""

    bank: BankAccount | None
    codes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)


def judge(s: Submission) -> Verdict:
    """Every failing edge code, with details naming the fields; the canonical bank account when none fails."""
    codes: list[str] = []
    details: list[str] = []
    iban = canonical_iban(s.bank.iban)
    bic = canonical_bic(s.bank.bic) if s.bank.bic is not None else None
    name = sepa_name(s.bank.holder_name)
    if isinstance(bic, Refused):
        codes.append(BIC_INVALID)
        details.append(f"claim.bank_account.bic: {bic.reason}")
    if isinstance(name, Refused):
        codes.append(HOLDER_NAME_UNWRITABLE)
        details.append(f"claim.bank_account.holder_name: {name.reason}")
    # The IBAN is canonicalised instead: every space in it (tab included) is dropped, and anything else that is
    # not a letter or a digit makes it IBAN_INVALID.
    unclean = [path for path in unclean_text_paths(s.payload) if path != IBAN_PATH]
    if unclean:
        codes.append(TEXT_CONTROL_CHARACTERS)
        details += [f"{path}: control character" for path in unclean[:5]]
    far = _far_dates(s)
    if far:
        codes.append(DATE_OUT_OF_RANGE)
        details += [f"{path}: outside the accepted range" for path in far]
    inconsistent = [
        f"claim.invoices.{n}: amounts excl. and incl. tax do not go together"
        for n, invoice in enumerate(s.invoices)
        if not amounts_consistent(
            invoice.excl_tax_cents, invoice.incl_tax_cents, MAX_VAT_PERCENT, VAT_ROUNDING_SLACK_CENTS
        )
    ]
    if inconsistent:
        codes.append(AMOUNTS_INCONSISTENT)
        details += inconsistent
    if codes or isinstance(iban, Refused) or isinstance(bic, Refused) or isinstance(name, Refused):
        return Verdict(None, codes, details)  # an invalid IBAN is IBAN_INVALID's business, reported before these
    return Verdict(BankAccount(iban, bic, name))


def _far_dates(s: Submission) -> list[str]:
    far = [] if timestamp_in_range(s.submitted_at) else ["claim.submitted_at"]
    if not date_in_range(s.activity_started_on):
        far.append("claim.applicant.activity_started_on")
    far += [f"claim.invoices.{n}.issued_on" for n, i in enumerate(s.invoices) if not date_in_range(i.issued_on)]
    return far
