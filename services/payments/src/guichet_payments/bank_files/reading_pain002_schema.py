"""A strict reader for pain.002.001.03 (CustomerPaymentStatusReportV03), written from the ISO message definition.

No copy of the ISO schema could be vendored (see schemas/SOURCES.md), so the parts payments reads are described
here element by element, in order, with cardinality and type; the parts it does not read (parties, agents,
remittance, payment type, settlement, mandate, charges) admit only the element names the message definition
uses there. Any other element, text where none belongs, or an attribute other than Ccy on an amount is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from guichet_payments.bank_files.reading_model import BankFileRefused
from guichet_payments.bank_files.reading_validation import local_name, where

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass(frozen=True)
class Leaf:
    description: str
    valid: Callable[[str], bool]
    amount: bool = False  # carries the required Ccy attribute


@dataclass(frozen=True)
class Opaque:
    """A subtree payments does not read: only the message definition's element names, no other attributes."""


@dataclass(frozen=True)
class El:
    name: str
    type: Seq | Choice | Leaf | Opaque
    min: int = 1
    max: int | None = 1  # None: unbounded


@dataclass(frozen=True)
class Seq:
    items: tuple[El, ...]


@dataclass(frozen=True)
class Choice:
    options: tuple[El, ...]


def _text(longest: int) -> Leaf:
    return Leaf(f"text of 1 to {longest} characters", lambda v: 1 <= len(v) <= longest)


def _code(*codes: str) -> Leaf:
    return Leaf("one of " + ", ".join(codes), lambda v: v in codes)


def _is_datetime(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value


def _is_date(value: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and _parses_as_date(value)


def _parses_as_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


_AMOUNT = re.compile(r"\d{1,13}(\.\d{1,5})?")  # ActiveOrHistoricCurrencyAndAmount: totalDigits 18, fraction 5
_DECIMAL = re.compile(r"-?\d{1,18}(\.\d{1,17})?")

MAX35 = _text(35)
MAX105 = _text(105)
ISO_DATETIME = Leaf("an ISO date-time", _is_datetime)
ISO_DATE = Leaf("an ISO date", _is_date)
NUMERIC15 = Leaf("1 to 15 digits", lambda v: bool(re.fullmatch(r"[0-9]{1,15}", v)))
DECIMAL = Leaf("a decimal number", lambda v: bool(_DECIMAL.fullmatch(v)) and len(v.replace(".", "").lstrip("-")) <= 18)
AMOUNT = Leaf("an amount with at most 5 decimals", lambda v: bool(_AMOUNT.fullmatch(v)), amount=True)
GROUP_STATUS = _code("ACTC", "RCVD", "PART", "RJCT", "PDNG", "ACCP", "ACSP", "ACSC", "ACWC")
TRANSACTION_STATUS = _code("ACTC", "RJCT", "PDNG", "ACCP", "ACSP", "ACSC", "ACWC")
IBAN = Leaf("an IBAN", lambda v: bool(re.fullmatch(r"[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}", v)))
OPAQUE = Opaque()

CODE_OR_PROPRIETARY = Choice((El("Cd", _text(4)), El("Prtry", MAX35)))
CASH_ACCOUNT = Seq((
    El("Id", Choice((El("IBAN", IBAN), El("Othr", OPAQUE)))),
    El("Tp", OPAQUE, 0), El("Ccy", Leaf("a currency code", lambda v: bool(re.fullmatch(r"[A-Z]{3}", v))), 0),
    El("Nm", _text(70), 0),
))  # fmt: skip
STATUS_REASON = Seq((
    El("Orgtr", OPAQUE, 0), El("Rsn", CODE_OR_PROPRIETARY, 0), El("AddtlInf", MAX105, 0, None),
))  # fmt: skip
PER_STATUS = Seq((El("DtldNbOfTxs", NUMERIC15), El("DtldSts", TRANSACTION_STATUS), El("DtldCtrlSum", DECIMAL, 0)))
EQUIVALENT_AMOUNT = Seq((El("Amt", AMOUNT), El("CcyOfTrf", Leaf("a currency code", lambda v: len(v) == 3))))
ORIGINAL_TRANSACTION = Seq((
    El("IntrBkSttlmAmt", AMOUNT, 0),
    El("Amt", Choice((El("InstdAmt", AMOUNT), El("EqvtAmt", EQUIVALENT_AMOUNT))), 0),
    El("IntrBkSttlmDt", ISO_DATE, 0), El("ReqdColltnDt", ISO_DATE, 0), El("ReqdExctnDt", ISO_DATE, 0),
    El("CdtrSchmeId", OPAQUE, 0), El("SttlmInf", OPAQUE, 0), El("PmtTpInf", OPAQUE, 0),
    El("PmtMtd", _code("CHK", "TRF", "DD", "TRA"), 0), El("MndtRltdInf", OPAQUE, 0), El("RmtInf", OPAQUE, 0),
    El("UltmtDbtr", OPAQUE, 0), El("Dbtr", OPAQUE, 0), El("DbtrAcct", CASH_ACCOUNT, 0), El("DbtrAgt", OPAQUE, 0),
    El("DbtrAgtAcct", CASH_ACCOUNT, 0), El("CdtrAgt", OPAQUE, 0), El("CdtrAgtAcct", CASH_ACCOUNT, 0),
    El("Cdtr", OPAQUE, 0), El("CdtrAcct", CASH_ACCOUNT, 0), El("UltmtCdtr", OPAQUE, 0),
))  # fmt: skip
TRANSACTION = Seq((
    El("StsId", MAX35, 0), El("OrgnlInstrId", MAX35, 0), El("OrgnlEndToEndId", MAX35, 0),
    El("TxSts", TRANSACTION_STATUS, 0), El("StsRsnInf", STATUS_REASON, 0, None), El("ChrgsInf", OPAQUE, 0, None),
    El("AccptncDtTm", ISO_DATETIME, 0), El("AcctSvcrRef", MAX35, 0), El("ClrSysRef", MAX35, 0),
    El("OrgnlTxRef", ORIGINAL_TRANSACTION, 0),
))  # fmt: skip
PAYMENT_INFORMATION = Seq((
    El("OrgnlPmtInfId", MAX35), El("OrgnlNbOfTxs", NUMERIC15, 0), El("OrgnlCtrlSum", DECIMAL, 0),
    El("PmtInfSts", GROUP_STATUS, 0), El("StsRsnInf", STATUS_REASON, 0, None), El("NbOfTxsPerSts", PER_STATUS, 0, None),
    El("TxInfAndSts", TRANSACTION, 0, None),
))  # fmt: skip
GROUP_INFORMATION = Seq((
    El("OrgnlMsgId", MAX35), El("OrgnlMsgNmId", MAX35), El("OrgnlCreDtTm", ISO_DATETIME, 0),
    El("OrgnlNbOfTxs", NUMERIC15, 0), El("OrgnlCtrlSum", DECIMAL, 0), El("GrpSts", GROUP_STATUS, 0),
    El("StsRsnInf", STATUS_REASON, 0, None), El("NbOfTxsPerSts", PER_STATUS, 0, None),
))  # fmt: skip
GROUP_HEADER = Seq((
    El("MsgId", MAX35), El("CreDtTm", ISO_DATETIME), El("InitgPty", OPAQUE, 0), El("FwdgAgt", OPAQUE, 0),
    El("DbtrAgt", OPAQUE, 0), El("CdtrAgt", OPAQUE, 0),
))  # fmt: skip
REPORT = Seq((
    El("GrpHdr", GROUP_HEADER), El("OrgnlGrpInfAndSts", GROUP_INFORMATION),
    El("OrgnlPmtInfAndSts", PAYMENT_INFORMATION, 0, None),
))  # fmt: skip
DOCUMENT = Seq((El("CstmrPmtStsRpt", REPORT),))

# Every element name the message definition uses below the subtrees marked OPAQUE (parties, agents, accounts'
# other identification, settlement, payment type, mandate, remittance, charges).
OPAQUE_NAMES = frozenset("""
    Nm PstlAdr Id CtryOfRes CtctDtls AdrTp Dept SubDept StrtNm BldgNb PstCd TwnNm CtrySubDvsn Ctry AdrLine OrgId
    PrvtId BICOrBEI Othr SchmeNm Cd Prtry Issr DtAndPlcOfBirth BirthDt PrvcOfBirth CityOfBirth CtryOfBirth NmPrfx
    PhneNb MobNb FaxNb EmailAdr FinInstnId BrnchId BIC ClrSysMmbId ClrSysId MmbId SttlmMtd SttlmAcct ClrSys
    InstgRmbrsmntAgt InstgRmbrsmntAgtAcct InstdRmbrsmntAgt InstdRmbrsmntAgtAcct ThrdRmbrsmntAgt ThrdRmbrsmntAgtAcct
    IBAN Tp Ccy InstrPrty ClrChanl SvcLvl LclInstrm SeqTp CtgyPurp MndtId DtOfSgntr AmdmntInd AmdmntInfDtls
    ElctrncSgntr FrstColltnDt FnlColltnDt Frqcy OrgnlMndtId OrgnlCdtrSchmeId OrgnlCdtrAgt OrgnlCdtrAgtAcct OrgnlDbtr
    OrgnlDbtrAcct OrgnlDbtrAgt OrgnlDbtrAgtAcct OrgnlFnlColltnDt OrgnlFrqcy Ustrd Strd RfrdDocInf RfrdDocAmt
    CdtrRefInf Invcr Invcee AddtlRmtInf Nb RltdDt CdOrPrtry DuePyblAmt DscntApldAmt CdtNoteAmt TaxAmt
    AdjstmntAmtAndRsn RmtdAmt Amt CdtDbtInd Rsn AddtlInf Ref Pty
""".split())  # fmt: skip
_LONGEST_TEXT = 2048


def check_pain002(file_name: str, root: etree._Element) -> None:
    """Refuse `root` unless it is a pain.002.001.03 Document as the message definition describes it."""
    _Checker(file_name).complex(root, DOCUMENT, root_element=True)


class _Checker:
    def __init__(self, file_name: str) -> None:
        self.file_name = file_name

    def refuse(self, element: etree._Element, problem: str) -> BankFileRefused:
        return BankFileRefused(self.file_name, where(element), problem)

    def children(self, element: etree._Element) -> list[etree._Element]:
        if (element.text or "").strip():
            raise self.refuse(element, "text is not allowed in this element")
        children = []
        for child in element:
            if (child.tail or "").strip():
                raise self.refuse(element, "text is not allowed in this element")
            if not isinstance(child.tag, str):
                continue  # comments and processing instructions carry nothing
            if etree.QName(child).namespace != NAMESPACE:
                raise self.refuse(child, "element from another namespace")
            children.append(child)
        return children

    def attributes(self, element: etree._Element, allowed: frozenset[str], root_element: bool = False) -> None:
        for name in element.attrib:
            if root_element and etree.QName(name).namespace == _XSI:
                continue
            if name not in allowed:
                raise self.refuse(element, f"attribute {etree.QName(name).localname} is not allowed")

    def complex(self, element: etree._Element, kind: Seq | Choice, root_element: bool = False) -> None:
        self.attributes(element, frozenset(), root_element)
        children = self.children(element)
        items = kind.items if isinstance(kind, Seq) else (None,)
        position = 0
        for item in items:
            if item is None:  # a choice: exactly one of its options
                assert isinstance(kind, Choice)
                names = {option.name: option for option in kind.options}
                if not children:
                    raise self.refuse(element, "missing child element; expected one of " + ", ".join(names))
                chosen = names.get(local_name(children[0]))
                if chosen is None:
                    raise self.refuse(children[0], "this element is not expected; expected one of " + ", ".join(names))
                self.element(children[0], chosen.type)
                position = 1
                continue
            count = 0
            while position < len(children) and local_name(children[position]) == item.name:
                count += 1
                if item.max is not None and count > item.max:
                    raise self.refuse(children[position], f"{item.name} may appear at most {item.max} time(s)")
                self.element(children[position], item.type)
                position += 1
            if count < item.min:
                raise self.refuse(element, f"missing child element {item.name}")
        if position < len(children):
            raise self.refuse(children[position], "this element is not expected here")

    def element(self, element: etree._Element, kind: Seq | Choice | Leaf | Opaque) -> None:
        if isinstance(kind, Leaf):
            self.leaf(element, kind)
        elif isinstance(kind, Opaque):
            self.opaque(element)
        else:
            self.complex(element, kind)

    def leaf(self, element: etree._Element, kind: Leaf) -> None:
        self.attributes(element, frozenset({"Ccy"}) if kind.amount else frozenset())
        if len(element):
            raise self.refuse(element, "child elements are not allowed here")
        if kind.amount and not re.fullmatch(r"[A-Z]{3}", element.get("Ccy", "")):
            raise self.refuse(element, "attribute Ccy is required: a three-letter currency code")
        if not kind.valid((element.text or "").strip()):
            raise self.refuse(element, f"the value is not {kind.description}")

    def opaque(self, element: etree._Element) -> None:
        for descendant in element.iterdescendants():
            if not isinstance(descendant.tag, str):
                continue
            if etree.QName(descendant).namespace != NAMESPACE or local_name(descendant) not in OPAQUE_NAMES:
                raise self.refuse(descendant, "not an element of pain.002.001.03 here")
            self.attributes(descendant, frozenset({"Ccy"}))
            if len((descendant.text or "").strip()) > _LONGEST_TEXT:
                raise self.refuse(descendant, "text longer than the message allows")
        self.attributes(element, frozenset())
