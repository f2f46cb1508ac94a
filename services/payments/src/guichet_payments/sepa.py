"""SEPA credit-transfer files (ISO 20022 pain.001.001.03 or .09, per programme) for payment batches.

Pure: no database, no Kafka. The XML is built by the `sepaxml` library and validated against the official XSD it
bundles, with lxml's validator (`sepa_versions`: what differs between the versions, and reading a file back).
This module only decides what goes in it (our identifiers, our timestamp, text in the SEPA character set);
`outbound` writes it safely. Money is integer cents throughout; only the XML carries decimal euros.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sepaxml import SepaTransfer

from guichet_common.canonical import sepa_text  # shared with the services' edges
from guichet_payments.sepa_versions import MESSAGE_VERSIONS, PAIN_001_001_03, validate
from guichet_payments.sepa_versions import control_sum_cents as control_sum_cents
from guichet_payments.sepa_versions import transaction_count as transaction_count

if TYPE_CHECKING:
    from guichet_programme import PaymentSettings

CURRENCY = "EUR"
ID_MAX = 35
NAME_MAX = 70
REMITTANCE_MAX = 140

# Identifiers: the character set without space, and (EPC rule) no leading or trailing "/" and no "//".
_IDENTIFIER = re.compile(r"(?!/)(?!.*//)[A-Za-z0-9/\-?:().,'+]{1,35}(?<!/)")


def _check_identifier(kind: str, value: str) -> None:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise ValueError(
            f"{kind} {value!r} is not a SEPA identifier: 1 to {ID_MAX} characters of A-Z a-z 0-9 / - ? : ( ) . , ' +,"
            " not starting or ending with '/' and without '//'"
        )


def _account(iban: str) -> str:
    return iban.replace(" ", "").upper()


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str  # <= 35 chars: the payment id (attempt 1) or the payment id + "-N"
    amount_cents: int  # > 0
    creditor_name: str  # any text; transliterated and cut to 70 in the file
    creditor_iban: str
    creditor_bic: str | None
    remittance: str  # transliterated and cut to 140 in the file

    def __post_init__(self) -> None:
        _check_identifier("end_to_end_id", self.end_to_end_id)
        if type(self.amount_cents) is not int or self.amount_cents <= 0:
            raise ValueError(f"amount_cents must be a positive integer, not {self.amount_cents!r}")
        if not sepa_text(self.creditor_name, NAME_MAX):
            raise ValueError(f"creditor_name {self.creditor_name!r} has nothing left in the SEPA character set")
        if not sepa_text(self.remittance, REMITTANCE_MAX):
            raise ValueError(f"remittance {self.remittance!r} has nothing left in the SEPA character set")


@dataclass(frozen=True)
class Debtor:
    name: str
    iban: str
    bic: str

    @classmethod
    def from_settings(cls, payment: PaymentSettings) -> Debtor:
        """The programme's debtor account (programme file, `[payment]` section)."""
        return cls(name=payment.debtor_name, iban=payment.debtor_iban, bic=payment.debtor_bic)


@dataclass(frozen=True)
class BatchFile:
    batch_id: str  # becomes MsgId and PmtInfId (<= 35 chars)
    debtor: Debtor
    execution_date: dt.date
    created_at: dt.datetime  # aware; CreDtTm
    transfers: tuple[Transfer, ...]
    message_version: str = PAIN_001_001_03  # the programme's bank's pain.001 (`sepa_versions.MESSAGE_VERSIONS`)

    def __post_init__(self) -> None:
        _check_identifier("batch_id", self.batch_id)
        if self.message_version not in MESSAGE_VERSIONS:
            raise ValueError(f"message_version {self.message_version!r} is not one of {MESSAGE_VERSIONS}")
        if self.created_at.tzinfo is None or self.created_at.utcoffset() is None:
            raise ValueError("created_at must be an aware datetime")
        object.__setattr__(self, "transfers", tuple(self.transfers))
        if not self.transfers:
            raise ValueError(f"batch {self.batch_id} has no transfers")
        ids = [transfer.end_to_end_id for transfer in self.transfers]
        if len(set(ids)) != len(ids):
            duplicated = sorted({one for one in ids if ids.count(one) > 1})
            raise ValueError(f"batch {self.batch_id} repeats EndToEndIds {duplicated}")

    @property
    def total_cents(self) -> int:
        return sum(transfer.amount_cents for transfer in self.transfers)


class _BatchTransfer(SepaTransfer):
    """sepaxml's SepaTransfer, with our MsgId, CreDtTm and PmtInfId instead of its random ids and local clock.

    The two hooks overridden are the ones its base class leaves to subclasses, and build the same GrpHdr and
    PmtInf in .03 and .09 (sepaxml itself writes .09's `ReqdExctnDt/Dt` and `BICFI`). We validate after them, so
    what is validated is exactly what we return.
    """

    def __init__(self, config: dict, *, batch_id: str, created_at: dt.datetime, schema: str) -> None:
        self._batch_id = batch_id
        self._created_at = created_at
        super().__init__(config, schema=schema, clean=True)

    def _create_header(self) -> None:
        self.msg_id = self._batch_id
        super()._create_header()
        header = self._xml.find("CstmrCdtTrfInitn/GrpHdr")
        header.find("CreDtTm").text = self._created_at.isoformat(timespec="seconds")

    def _finalize_batch(self) -> None:
        super()._finalize_batch()
        infos = self._xml.findall("CstmrCdtTrfInitn/PmtInf")
        if len(infos) != 1:
            raise RuntimeError(f"expected one PmtInf in batch {self._batch_id}, sepaxml built {len(infos)}")
        infos[0].find("PmtInfId").text = self._batch_id


def credit_transfer_xml(batch: BatchFile) -> bytes:
    """The batch as one pain.001 message of its version with one PmtInf (batch booking), validated against the
    version's XSD.

    Deterministic: the same batch gives the same bytes, so a file can be rebuilt and compared.
    Raises sepaxml.validation.ValidationError if a value (an IBAN, a BIC) does not fit the schema.
    """
    config = {
        "name": sepa_text(batch.debtor.name, NAME_MAX),
        "IBAN": _account(batch.debtor.iban),
        "BIC": batch.debtor.bic.strip().upper(),
        "currency": CURRENCY,
        "batch": True,  # one PmtInf for all transfers of the execution date
    }
    transfer = _BatchTransfer(
        config, batch_id=batch.batch_id, created_at=batch.created_at, schema=batch.message_version
    )
    for item in batch.transfers:
        payment = {
            "name": sepa_text(item.creditor_name, NAME_MAX),
            "IBAN": _account(item.creditor_iban),
            "amount": item.amount_cents,
            "execution_date": batch.execution_date,
            "description": sepa_text(item.remittance, REMITTANCE_MAX),
            "endtoend_id": item.end_to_end_id,
        }
        if item.creditor_bic:
            payment["BIC"] = item.creditor_bic.strip().upper()
        transfer.add_payment(payment)
    xml = transfer.export(validate=False)
    validate(xml, batch.message_version)
    # sepaxml computes the header totals from what it built; check them against ours before anyone sends the file.
    if control_sum_cents(xml) != batch.total_cents or transaction_count(xml) != len(batch.transfers):
        raise RuntimeError(f"batch {batch.batch_id}: the file's CtrlSum/NbOfTxs do not match its transfers")
    return xml
