"""Entries of pain.002.001.03, the bank's status report on a pain.001 payments sent.

Only rejections are entries: a group rejected whole (GrpSts RJCT) is one `file_rejected` entry, each rejected
transaction one `rejected` entry. Acceptances and pending statuses (ACTC, ACCP, ACSP, ACSC, PDNG...) inform only.
"""

from __future__ import annotations

from lxml import etree

from guichet_payments.bank_files.reading_model import BankEntry, BankFile
from guichet_payments.bank_files.reading_pain002_schema import NAMESPACE, check_pain002
from guichet_payments.bank_files.reading_values import Reader

MESSAGE = "pain.002.001.03"
_REJECTED = "RJCT"


def read_pain002(file_name: str, root: etree._Element) -> BankFile:
    check_pain002(file_name, root)
    read = Reader(file_name, NAMESPACE)
    report = read.first(root, "CstmrPmtStsRpt")
    assert report is not None  # check_pain002 requires it
    group = read.first(report, "OrgnlGrpInfAndSts")
    assert group is not None
    original_message_id = read.required_text(group, "OrgnlMsgId")
    message_id = read.required_text(report, "GrpHdr/MsgId")
    if read.text(group, "GrpSts") == _REJECTED:
        # The whole file is rejected: one entry stands for every transfer in it, whatever the file also lists
        # (a per-transfer rejection as well would report the same attempts twice).
        rejection = BankEntry(0, "file_rejected", None, original_message_id, None, None, None,
                              _reason(read, group), None, None)  # fmt: skip
        return BankFile(message=MESSAGE, message_id=message_id, entries=(rejection,))
    entries: list[BankEntry] = []
    for payment in read.all(report, "OrgnlPmtInfAndSts"):
        batch_reference = read.text(payment, "OrgnlPmtInfId") or original_message_id
        payment_rejected = read.text(payment, "PmtInfSts") == _REJECTED
        transactions = read.all(payment, "TxInfAndSts")
        if payment_rejected and not transactions:
            # A payment information block rejected whole: for payments, whose batch is one block, the file.
            reason = _reason(read, payment) or _reason(read, group)
            entries.append(BankEntry(len(entries), "file_rejected", None, batch_reference, None, None, None, reason,
                                     None, None))  # fmt: skip
        for transaction in transactions:
            status = read.text(transaction, "TxSts")
            # A transaction without its own status shares its payment information's.
            if status != _REJECTED and not (status is None and payment_rejected):
                continue
            reason = _reason(read, transaction) or _reason(read, payment) or _reason(read, group)
            original = read.first(transaction, "OrgnlTxRef")
            entries.append(
                BankEntry(
                    index=len(entries),
                    effect="rejected",
                    end_to_end_id=read.end_to_end_id(transaction, "OrgnlEndToEndId"),
                    batch_reference=batch_reference,
                    amount_cents=None if original is None else read.euro_cents(original, "Amt/InstdAmt"),
                    iban=None if original is None else read.iban(original, "CdtrAcct/Id/IBAN"),
                    remittance=None if original is None else read.remittance(original, "RmtInf/Ustrd"),
                    reason_code=reason,
                    value_date=None,
                    bank_reference=read.text(transaction, "StsId") or read.text(transaction, "AcctSvcrRef"),
                )
            )
    return BankFile(message=MESSAGE, message_id=message_id, entries=tuple(entries))


def _reason(read: Reader, element: etree._Element) -> str | None:
    for status_reason in read.all(element, "StsRsnInf"):
        code = read.text(status_reason, "Rsn/Cd") or read.text(status_reason, "Rsn/Prtry")
        if code:
            return code
    return None
