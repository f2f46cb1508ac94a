"""What reading a bank file yields: its entries, or a refusal that names the file and the element."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

Effect = Literal["booked", "returned", "rejected", "credit", "batch_booked", "file_rejected"]
MESSAGES = ("pain.002.001.03", "camt.054.001.02", "camt.053.001.02")


@dataclass(frozen=True)
class BankEntry:
    index: int  # position among the file's entries, from 0
    effect: Effect
    end_to_end_id: str | None  # None when absent or "NOTPROVIDED"
    batch_reference: str | None  # OrgnlMsgId / OrgnlPmtInfId / Btch MsgId|PmtInfId when the entry names a batch
    amount_cents: int | None
    iban: str | None  # the counterparty account (normalised: no spaces, upper case)
    remittance: str | None  # RmtInf/Ustrd (joined) when present
    reason_code: str | None  # Rsn/Cd of a return or a rejection
    value_date: dt.date | None
    bank_reference: str | None  # AcctSvcrRef (camt) or StsId / OrgnlTxId (pain.002)
    creditor_reference: str | None = None  # a credit's RmtInf/Strd/CdtrRefInf/Ref (a recovery order's RF reference)


@dataclass(frozen=True)
class BankFile:
    message: str  # one of MESSAGES
    message_id: str  # GrpHdr/MsgId
    entries: tuple[BankEntry, ...]  # informational statuses (ACCP, ACSC, PDNG...) are not entries


class BankFileRefused(ValueError):
    """A file payments will not import. `problem` never quotes the file's values (IBANs, names)."""

    def __init__(self, file_name: str, element: str, problem: str) -> None:
        super().__init__(f"{file_name}: {element}: {problem}")
        self.file_name = file_name
        self.element = element
        self.problem = problem
