"""The pain.001 versions payments writes, their official schemas, and reading back a file it wrote.

A programme's bank takes pain.001.001.03 (2009, what every SEPA bank reads) or pain.001.001.09 (2019). Both are
written by sepaxml, which bundles their XSDs; the differences that matter here are small: the requested execution
date is `<ReqdExctnDt><Dt>…</Dt></ReqdExctnDt>` in .09 (a bare date in .03) and a BIC is `<BICFI>` (`<BIC>` in .03).
The readers below work on either, by local element names, for the control sheet and the reconciliation.
They read files payments wrote itself; the bank's files are read, with more suspicion, by `bank_files`.
"""

from __future__ import annotations

import datetime as dt
import functools
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import sepaxml
from lxml import etree
from sepaxml.validation import ValidationError

PAIN_001_001_03 = "pain.001.001.03"
PAIN_001_001_09 = "pain.001.001.09"
MESSAGE_VERSIONS = (PAIN_001_001_03, PAIN_001_001_09)
_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:"


def message_version(pain001_version: str) -> str:
    """The message name for a programme file's `[payment] pain001_version` ("001.001.09" -> "pain.001.001.09")."""
    message = f"pain.{pain001_version}"
    if message not in MESSAGE_VERSIONS:
        raise ValueError(f"pain001_version {pain001_version!r} is not one of {MESSAGE_VERSIONS}")
    return message


@functools.cache
def _schema(message: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(Path(sepaxml.__file__).parent / "schemas" / f"{message}.xsd")))


def validate(xml: bytes, message: str) -> None:
    """Raise sepaxml's ValidationError, as its own check would, if `xml` does not fit `message`'s official XSD.

    lxml (libxml2), not sepaxml's check: that one recompiles the schema with the pure-Python xmlschema for every
    file, 0.5 s of a 500-transfer batch; lxml takes milliseconds."""
    if message not in MESSAGE_VERSIONS:
        raise ValueError(f"unknown credit-transfer message {message!r}")
    schema = _schema(message)
    if not schema.validate(etree.fromstring(xml)):
        raise ValidationError(f"the SEPA file does not fit {message}: {schema.error_log.last_error}")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(node: ET.Element, *path: str) -> ET.Element | None:
    for name in path:
        found = next((child for child in node if _local(child.tag) == name), None)
        if found is None:
            return None
        node = found
    return node


def _text(node: ET.Element, *path: str) -> str | None:
    found = _child(node, *path)
    return None if found is None or found.text is None else found.text.strip()


def _group_header(root: ET.Element, field: str) -> str:
    text = _text(root, "CstmrCdtTrfInitn", "GrpHdr", field)
    if not text:
        raise ValueError(f"no GrpHdr/{field} in this credit-transfer file")
    return text


def cents(amount: str, element: str) -> int:
    """A decimal euro amount of the file, in cents (exact, no floating point)."""
    try:
        value = Decimal(amount) * 100
    except InvalidOperation:
        raise ValueError(f"{element} {amount!r} is not a decimal amount") from None
    if value != value.to_integral_value():
        raise ValueError(f"{element} {amount!r} has fractions of a cent")
    return int(value)


def control_sum_cents(xml: bytes) -> int:
    """GrpHdr/CtrlSum of a credit-transfer file (.03 or .09), in cents."""
    return cents(_group_header(ET.fromstring(xml), "CtrlSum"), "CtrlSum")


def transaction_count(xml: bytes) -> int:
    """GrpHdr/NbOfTxs of a credit-transfer file (.03 or .09)."""
    return int(_group_header(ET.fromstring(xml), "NbOfTxs"))


@dataclass(frozen=True)
class WrittenTransfer:
    end_to_end_id: str
    amount_cents: int
    iban: str
    bic: str | None  # <BIC> (.03) or <BICFI> (.09); none when the file names no creditor agent
    remittance: str


@dataclass(frozen=True)
class WrittenFile:
    """What a pain.001 file payments wrote says, as the accountant's control sheet shows it."""

    message: str
    batch_id: str  # GrpHdr/MsgId
    created_at: str  # GrpHdr/CreDtTm, as written
    execution_date: dt.date
    transfer_count: int
    control_sum_cents: int
    transfers: tuple[WrittenTransfer, ...]


def read_written_file(xml: bytes) -> WrittenFile:
    """The header and every transfer of a credit-transfer file of either version (raises ValueError if it is not
    one: a file payments wrote always is)."""
    root = ET.fromstring(xml)
    namespace = root.tag[1 : root.tag.index("}")] if root.tag.startswith("{") else ""
    message = namespace.removeprefix(_NAMESPACE) if namespace.startswith(_NAMESPACE) else ""
    if message not in MESSAGE_VERSIONS or _local(root.tag) != "Document":
        raise ValueError(f"not a pain.001 file payments writes: root {root.tag!r}")
    infos = [node for node in _child(root, "CstmrCdtTrfInitn") or () if _local(node.tag) == "PmtInf"]
    if not infos:
        raise ValueError("no PmtInf in this credit-transfer file")
    dates = {_text(info, "ReqdExctnDt") or _text(info, "ReqdExctnDt", "Dt") or "" for info in infos}
    if len(dates) != 1:
        raise ValueError(f"expected one requested execution date, found {sorted(dates)}")
    transfers = tuple(
        WrittenTransfer(
            end_to_end_id=_text(transaction, "PmtId", "EndToEndId") or "",
            amount_cents=cents(_text(transaction, "Amt", "InstdAmt") or "", "InstdAmt"),
            iban=_text(transaction, "CdtrAcct", "Id", "IBAN") or "",
            bic=_text(transaction, "CdtrAgt", "FinInstnId", "BIC")
            or _text(transaction, "CdtrAgt", "FinInstnId", "BICFI"),
            remittance=" ".join(
                (node.text or "").strip() for node in _child(transaction, "RmtInf") or () if _local(node.tag) == "Ustrd"
            ),
        )
        for info in infos
        for transaction in info
        if _local(transaction.tag) == "CdtTrfTxInf"
    )
    return WrittenFile(
        message=message,
        batch_id=_group_header(root, "MsgId"),
        created_at=_group_header(root, "CreDtTm"),
        execution_date=dt.date.fromisoformat(dates.pop()),
        transfer_count=int(_group_header(root, "NbOfTxs")),
        control_sum_cents=cents(_group_header(root, "CtrlSum"), "CtrlSum"),
        transfers=transfers,
    )
