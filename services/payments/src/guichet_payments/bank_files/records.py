"""What payments tells operators about the bank's files: one file's verdict, and the entries held in suspense.

Plain values for the console and the back-office (`guichet_payments.operators.bank_file` / `suspense_entries`):
no database types, the IBAN masked, `as_json()` ready for `--json`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from guichet_common.logging import MASK, mask_text

ENTRY_STATES = ("reported", "duplicate", "suspense", "settled", "discarded")


def masked_iban(iban: str | None) -> str | None:
    """The logs' masking of an IBAN (country, then stars) followed by its last four characters, as `guichet trace`
    shows an attempt's: enough for finance to tell two accounts apart, never the account itself."""
    if not iban:
        return None
    compact = "".join(iban.split()).upper()
    masked = mask_text(compact)
    if masked == compact:  # not shaped like an IBAN: show nothing of it
        return MASK
    return masked + compact[-4:]


@dataclass(frozen=True)
class BankFileRecord:
    """One file payments has seen, known by its SHA-256: imported (with what became of its entries) or refused."""

    file_sha256: str
    file_name: str
    message: str | None  # 'camt.054.001.02'...; None when the file could not be read at all
    message_id: str | None
    outcome: str  # 'imported' | 'refused'
    refusal: str | None  # the file, the element and why, when refused
    received_at: dt.datetime
    entry_count: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # entry state -> how many ('reported', 'suspense'...)

    @property
    def refused(self) -> bool:
        return self.outcome == "refused"

    def as_json(self) -> dict[str, Any]:
        return {
            "file_sha256": self.file_sha256,
            "file_name": self.file_name,
            "message": self.message,
            "message_id": self.message_id,
            "outcome": self.outcome,
            "refusal": self.refusal,
            "received_at": self.received_at.isoformat(),
            "entry_count": self.entry_count,
            "counts": {state: self.counts.get(state, 0) for state in ENTRY_STATES},
        }


@dataclass(frozen=True)
class SuspenseEntry:
    """A bank entry that matched nothing (or an attempt in the wrong state), waiting for finance to settle or
    discard it. Its id is the set-aside item id (kind `bank_entry`)."""

    entry_id: str
    file_name: str
    effect: str  # 'booked', 'returned', 'rejected', 'credit', 'batch_booked'
    end_to_end_id: str | None
    amount_cents: int | None
    iban_masked: str | None
    reason_code: str | None
    value_date: dt.date | None
    suspense_reason: str | None
    created_at: dt.datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "file_name": self.file_name,
            "effect": self.effect,
            "end_to_end_id": self.end_to_end_id,
            "amount_cents": self.amount_cents,
            "iban_masked": self.iban_masked,
            "reason_code": self.reason_code,
            "value_date": self.value_date.isoformat() if self.value_date else None,
            "suspense_reason": self.suspense_reason,
            "created_at": self.created_at.isoformat(),
        }
