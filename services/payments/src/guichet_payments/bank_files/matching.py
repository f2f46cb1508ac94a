"""Which attempt a bank entry speaks of (pure: the repository fetches the candidates, this decides).

An entry names its attempt by EndToEndId when the bank kept it: the attempt whose `end_to_end_id` it is (looked
up, never parsed). When the bank dropped it (`NOTPROVIDED`, often on returns) the entry is matched by amount and
account among attempts in a file (sent, settled or returned: a statement may repeat a return), and its
remittance, when the bank carries it back, must name the claim: exactly one candidate, or none.
Anything else is held in suspense with the reason, for finance to decide.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from guichet_payments.bank_files.reading import BankEntry

REASON_CODE = re.compile(r"^[A-Z0-9]{4}$")  # what payments.settlements.v1 accepts as return_reason_code

IN_A_FILE = ("sent", "settled", "returned")  # the attempts an entry without EndToEndId may be about
SettlementStatus = Literal["settled", "returned"]

# Suspense reasons: what finance reads in the suspense list and on the set-aside page.
UNKNOWN_END_TO_END_ID = "no attempt has this EndToEndId"
AMOUNT_DIFFERS = "the amount differs from the attempt's"
NO_REFERENCE = "no EndToEndId, and no amount or account to match by"
NO_CANDIDATE = "no attempt in a file has this amount, account and remittance"
AMBIGUOUS = "several attempts have this amount, account and remittance"
CREDIT_WITHOUT_RETURN = "a credit that is not a return of ours"
UNKNOWN_BATCH = "no batch of ours has this reference"
BATCH_SUM_DIFFERS = "the amount differs from the sum of the batch's transfers still sent"


@dataclass(frozen=True)
class Candidate:
    """An attempt as matching sees it."""

    payment_id: str
    attempt: int
    end_to_end_id: str
    claim_id: str
    amount_cents: int
    iban: str
    status: str
    batch_id: str | None


@dataclass(frozen=True)
class Matched:
    candidate: Candidate
    by: Literal["end_to_end_id", "amount_iban_remittance"]


@dataclass(frozen=True)
class Unmatched:
    reason: str


def match_entry(entry: BankEntry, candidates: Sequence[Candidate]) -> Matched | Unmatched:
    """The attempt `entry` (booked, returned or rejected) is about, among `candidates`: the attempt with its
    EndToEndId when it has one, else the only one with its amount and account (and claim, by the remittance)."""
    if entry.end_to_end_id is not None:
        named = [c for c in candidates if c.end_to_end_id == entry.end_to_end_id]
        if not named:
            return Unmatched(UNKNOWN_END_TO_END_ID)
        [candidate] = named  # end_to_end_id is unique among attempts
        if entry.amount_cents is not None and entry.amount_cents != candidate.amount_cents:
            return Unmatched(AMOUNT_DIFFERS)
        return Matched(candidate, "end_to_end_id")
    if entry.amount_cents is None or not entry.iban:
        return Unmatched(NO_REFERENCE)
    remittance = _comparable(entry.remittance) if entry.remittance else None
    found = [
        c
        for c in candidates
        if c.amount_cents == entry.amount_cents
        and c.iban == entry.iban
        and c.status in IN_A_FILE
        and (remittance is None or _comparable(c.claim_id) in remittance)
    ]
    if not found:
        return Unmatched(NO_CANDIDATE)
    if len(found) > 1:
        return Unmatched(AMBIGUOUS)
    return Matched(found[0], "amount_iban_remittance")


def batch_covered(entry: BankEntry, sent: Sequence[Candidate]) -> Unmatched | None:
    """None when one debit for a whole batch (`batch_booked`) pays exactly its transfers still sent."""
    if not sent:
        return Unmatched(UNKNOWN_BATCH)
    if entry.amount_cents != sum(c.amount_cents for c in sent):
        return Unmatched(BATCH_SUM_DIFFERS)
    return None


def settlement_status(entry: BankEntry) -> SettlementStatus:
    """A booked debit settles the attempt; a return credit or a rejection of the transfer returns it."""
    return "settled" if entry.effect in ("booked", "batch_booked") else "returned"


def return_reason(entry: BankEntry) -> str | None:
    """The entry's reason code as the settlement contract takes it (an ISO code of four); None otherwise."""
    code = entry.reason_code
    return code if code is not None and REASON_CODE.match(code) else None


def _comparable(text: str) -> str:
    # Banks may re-case or re-space the remittance they carry back.
    return "".join(text.split()).upper()
