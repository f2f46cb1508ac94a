"""Read a pain.001 (001.001.03 or 001.001.09) the way a bank's front office does: the batch, the debtor's account
and each transfer. Pure; elements are found by local name, so both versions' namespaces read alike.

The file comes from another process's folder: no DTD, no entity, no network, and a bounded size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from lxml import etree

MAX_BYTES = 20_000_000


class UnreadableOrder(ValueError):
    """The file is not a pain.001 this bank can read; the message never quotes its values (IBANs, names)."""


@dataclass(frozen=True)
class OrderedTransfer:
    end_to_end_id: str
    amount_cents: int
    creditor_iban: str
    remittance: str | None


@dataclass(frozen=True)
class PaymentOrder:
    message: str  # "pain.001.001.03" or "pain.001.001.09", from the namespace
    message_id: str  # GrpHdr/MsgId: payments' batch id
    created_at: str  # GrpHdr/CreDtTm, as written
    payment_information_id: str  # PmtInf/PmtInfId (one per batch in payments' files)
    execution_date: dt.date
    debtor_iban: str
    transfers: tuple[OrderedTransfer, ...]

    @property
    def control_sum_cents(self) -> int:
        return sum(transfer.amount_cents for transfer in self.transfers)


def read_payment_order(content: bytes) -> PaymentOrder:
    if len(content) > MAX_BYTES:
        raise UnreadableOrder(f"larger than {MAX_BYTES} bytes")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as error:
        raise UnreadableOrder(f"not well-formed XML (line {error.lineno})") from None
    namespace = etree.QName(root).namespace or ""
    message = namespace.rsplit(":", 1)[-1]
    if etree.QName(root).localname != "Document" or message not in ("pain.001.001.03", "pain.001.001.09"):
        raise UnreadableOrder("not a pain.001.001.03 or .09 Document")
    initiation = _one(root, "CstmrCdtTrfInitn")
    infos = _all(initiation, "PmtInf")
    if len(infos) != 1:
        raise UnreadableOrder(f"{len(infos)} PmtInf where payments writes one")
    info = infos[0]
    return PaymentOrder(
        message=message,
        message_id=_text(initiation, "GrpHdr", "MsgId"),
        created_at=_text(initiation, "GrpHdr", "CreDtTm"),
        payment_information_id=_text(info, "PmtInfId"),
        execution_date=_execution_date(info),
        debtor_iban=_iban(_text(info, "DbtrAcct", "Id", "IBAN")),
        transfers=tuple(_transfer(item) for item in _all(info, "CdtTrfTxInf")),
    )


def _transfer(item: etree._Element) -> OrderedTransfer:
    lines = [line.text or "" for remittance in _all(item, "RmtInf") for line in _all(remittance, "Ustrd")]
    return OrderedTransfer(
        end_to_end_id=_text(item, "PmtId", "EndToEndId"),
        amount_cents=_cents(_text(item, "Amt", "InstdAmt")),
        creditor_iban=_iban(_text(item, "CdtrAcct", "Id", "IBAN")),
        remittance=" ".join(lines) if lines else None,
    )


def _execution_date(info: etree._Element) -> dt.date:
    # .03: <ReqdExctnDt>2021-03-03</ReqdExctnDt>; .09: <ReqdExctnDt><Dt>2021-03-03</Dt></ReqdExctnDt> (or DtTm).
    element = _one(info, "ReqdExctnDt")
    children = list(_all(element, "Dt")) or list(_all(element, "DtTm"))
    value = (children[0].text if children else element.text) or ""
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise UnreadableOrder("ReqdExctnDt is not a date") from None


def _cents(value: str) -> int:
    try:
        amount = Decimal(value) * 100
    except InvalidOperation:
        raise UnreadableOrder("InstdAmt is not an amount") from None
    if amount != amount.to_integral_value() or amount <= 0:
        raise UnreadableOrder("InstdAmt is not a positive amount in cents")
    return int(amount)


def _iban(value: str) -> str:
    return value.replace(" ", "").upper()


def _all(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str) and etree.QName(child).localname == name]


def _one(element: etree._Element, name: str) -> etree._Element:
    found = _all(element, name)
    if len(found) != 1:
        raise UnreadableOrder(f"expected one {name} in {etree.QName(element).localname}, found {len(found)}")
    return found[0]


def _text(element: etree._Element, *path: str) -> str:
    for name in path:
        element = _one(element, name)
    text = (element.text or "").strip()
    if not text:
        raise UnreadableOrder(f"{'/'.join(path)} is empty")
    return text
