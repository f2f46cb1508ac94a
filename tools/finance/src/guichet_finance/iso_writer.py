"""The bank's answers to one pain.001, as ISO 20022 XML: a camt.054.001.02 notification of what was booked or
returned, and a pain.002.001.03 status report of what was rejected before settlement.

Deterministic: every identifier, date and timestamp comes from the pain.001 itself, so answering the same order
twice writes the same bytes (payments recognises a file it has seen by its hash).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from lxml import etree

from guichet_finance.bank import Outcome
from guichet_finance.payment_order import PaymentOrder

CAMT_054 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"
PAIN_002 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"
NOT_PROVIDED = "NOTPROVIDED"
CURRENCY = "EUR"
VALUE_DAYS = 1  # a booked transfer's value date: the day after execution, as in JSON mode
RETURN_DAYS = 2  # a return credit is booked later than the debit would have been


def camt054(order: PaymentOrder, answers: tuple[Outcome, ...]) -> bytes | None:
    """One booked DBIT entry per booked transfer, one CRDT return entry per returned one; None when neither."""
    entries = [answer for answer in answers if answer.kind in ("booked", "returned")]
    if not entries:
        return None
    message_id = _identifier("SIM054", order.message_id)
    document = etree.Element(f"{{{CAMT_054}}}Document", nsmap={None: CAMT_054})
    notification = _sub(document, "BkToCstmrDbtCdtNtfctn")
    header = _sub(notification, "GrpHdr")
    _sub(header, "MsgId", message_id)
    _sub(header, "CreDtTm", order.created_at)
    block = _sub(notification, "Ntfctn")
    _sub(block, "Id", message_id)
    _sub(block, "CreDtTm", order.created_at)
    account = _sub(block, "Acct")
    _sub(_sub(account, "Id"), "IBAN", order.debtor_iban)
    _sub(account, "Ccy", CURRENCY)
    for answer in entries:
        _entry(block, order, answer)
    return _serialise(document)


def _entry(block: etree._Element, order: PaymentOrder, answer: Outcome) -> None:
    booked = answer.kind == "booked"
    transfer = answer.transfer
    days = VALUE_DAYS if booked else RETURN_DAYS
    entry = _sub(block, "Ntry")
    _amount(entry, "Amt", transfer.amount_cents)
    _sub(entry, "CdtDbtInd", "DBIT" if booked else "CRDT")
    _sub(entry, "Sts", "BOOK")
    _sub(_sub(entry, "BookgDt"), "Dt", (order.execution_date + dt.timedelta(days=days - 1)).isoformat())
    _sub(_sub(entry, "ValDt"), "Dt", (order.execution_date + dt.timedelta(days=days)).isoformat())
    _sub(entry, "AcctSvcrRef", _identifier("SIM", f"{order.message_id}/{transfer.end_to_end_id}/{answer.kind}"))
    domain = _sub(_sub(entry, "BkTxCd"), "Domn")
    _sub(domain, "Cd", "PMNT")
    family = _sub(domain, "Fmly")
    _sub(family, "Cd", "ICDT")
    _sub(family, "SubFmlyCd", "ESCT" if booked else "RRTN")
    details = _sub(_sub(entry, "NtryDtls"), "TxDtls")
    references = _sub(details, "Refs")
    if booked:
        _sub(references, "MsgId", order.message_id)
        _sub(references, "PmtInfId", order.payment_information_id)
    _sub(references, "EndToEndId", transfer.end_to_end_id if answer.end_to_end_id_given else NOT_PROVIDED)
    _amount(_sub(_sub(details, "AmtDtls"), "TxAmt"), "Amt", transfer.amount_cents)
    parties = _sub(details, "RltdPties")
    # The shop is the creditor of our transfer, and the debtor of the return that sends the money back.
    _sub(_sub(_sub(parties, "CdtrAcct" if booked else "DbtrAcct"), "Id"), "IBAN", transfer.creditor_iban)
    if transfer.remittance:
        _sub(_sub(details, "RmtInf"), "Ustrd", transfer.remittance)
    if not booked:
        _sub(_sub(_sub(details, "RtrInf"), "Rsn"), "Cd", answer.reason_code)


def pain002(order: PaymentOrder, answers: tuple[Outcome, ...]) -> bytes | None:
    """A status report naming each rejected transfer (TxSts RJCT with its reason); None when none is rejected.

    The group status is PART when some transfers went through. When all were rejected it is left out rather than
    RJCT, which would reject the file as a whole: payments would send every payment again, not report returns.
    """
    rejected = [answer for answer in answers if answer.kind == "rejected"]
    if not rejected:
        return None
    document = etree.Element(f"{{{PAIN_002}}}Document", nsmap={None: PAIN_002})
    report = _sub(document, "CstmrPmtStsRpt")
    header = _sub(report, "GrpHdr")
    _sub(header, "MsgId", _identifier("SIM002", order.message_id))
    _sub(header, "CreDtTm", order.created_at)
    group = _sub(report, "OrgnlGrpInfAndSts")
    _sub(group, "OrgnlMsgId", order.message_id)
    _sub(group, "OrgnlMsgNmId", order.message)
    _sub(group, "OrgnlNbOfTxs", str(len(order.transfers)))
    _sub(group, "OrgnlCtrlSum", _euros(order.control_sum_cents))
    if len(rejected) < len(answers):
        _sub(group, "GrpSts", "PART")
    payment = _sub(report, "OrgnlPmtInfAndSts")
    _sub(payment, "OrgnlPmtInfId", order.payment_information_id)
    for answer in rejected:
        transfer = answer.transfer
        status = _sub(payment, "TxInfAndSts")
        _sub(status, "StsId", _identifier("SIM", f"{order.message_id}/{transfer.end_to_end_id}/rejected"))
        _sub(status, "OrgnlEndToEndId", transfer.end_to_end_id)
        _sub(status, "TxSts", "RJCT")
        _sub(_sub(_sub(status, "StsRsnInf"), "Rsn"), "Cd", answer.reason_code)
        original = _sub(status, "OrgnlTxRef")
        _amount(_sub(original, "Amt"), "InstdAmt", transfer.amount_cents)
        _sub(original, "ReqdExctnDt", order.execution_date.isoformat())
        if transfer.remittance:
            _sub(_sub(original, "RmtInf"), "Ustrd", transfer.remittance)
        _sub(_sub(_sub(original, "CdtrAcct"), "Id"), "IBAN", transfer.creditor_iban)
    return _serialise(document)


def _identifier(prefix: str, seed: str) -> str:
    """A reference of at most 35 characters, the same for the same seed, different for different ones."""
    return f"{prefix}{hashlib.sha256(seed.encode('utf-8')).hexdigest()[:24].upper()}"


def _euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _amount(parent: etree._Element, name: str, cents: int) -> None:
    _sub(parent, name, _euros(cents)).set("Ccy", CURRENCY)


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    namespace = etree.QName(parent).namespace
    child = etree.SubElement(parent, f"{{{namespace}}}{name}")
    if text is not None:
        child.text = text
    return child


def _serialise(document: etree._Element) -> bytes:
    content: bytes = etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return content
