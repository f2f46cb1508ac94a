"""Entries of camt.054 (debit/credit notification) and camt.053 (statement) version 02.

Only booked entries (Sts BOOK) count: PDNG and INFO announce, they do not move money.
"""

from __future__ import annotations

from lxml import etree

from guichet_payments.bank_files.reading_model import BankEntry, BankFile, Effect
from guichet_payments.bank_files.reading_values import Reader

_REPORTS = {
    # message: (report element under Document, its report blocks holding Ntry)
    "camt.054.001.02": ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
    "camt.053.001.02": ("BkToCstmrStmt", "Stmt"),
}
_RETURN_CODE = ("PMNT", "ICDT", "RRTN")


def read_camt(file_name: str, message: str, root: etree._Element) -> BankFile:
    read = Reader(file_name, etree.QName(root).namespace or "")
    report_name, block_name = _REPORTS[message]
    report = read.first(root, report_name)
    assert report is not None  # the schema requires it
    entries: list[BankEntry] = []
    for block in read.all(report, block_name):
        for ntry in read.all(block, "Ntry"):
            if read.text(ntry, "Sts") == "BOOK":
                entries.extend(_entries_of(read, ntry, first_index=len(entries)))
    return BankFile(message=message, message_id=read.required_text(report, "GrpHdr/MsgId"), entries=tuple(entries))


def _entries_of(read: Reader, ntry: etree._Element, first_index: int) -> list[BankEntry]:
    debit = read.text(ntry, "CdtDbtInd") == "DBIT"
    transactions = read.all(ntry, "NtryDtls/TxDtls")
    entry_amount = read.euro_cents(ntry, "Amt")
    value_date = read.date(ntry, "ValDt") or read.date(ntry, "BookgDt")
    entry_reference = read.text(ntry, "AcctSvcrRef")
    if debit and not transactions:
        batch = read.first(ntry, "NtryDtls/Btch")
        batch_reference = None if batch is None else read.text(batch, "PmtInfId") or read.text(batch, "MsgId")
        # A debit without transaction details or batch is still our money leaving: matched or held in suspense.
        effect: Effect = "batch_booked" if batch_reference else "booked"
        return [
            BankEntry(
                first_index, effect, None, batch_reference, entry_amount, None, None, None, value_date, entry_reference
            )
        ]
    if not transactions:
        effect = "returned" if _is_return_code(read, ntry) else "credit"
        return [BankEntry(first_index, effect, None, None, entry_amount, None, None, None, value_date, entry_reference)]
    entries = []
    for offset, tx in enumerate(transactions):
        tx_reference = read.text(tx, "Refs/AcctSvcrRef")
        reference = "/".join(r for r in (entry_reference, tx_reference) if r) or None
        amount = read.euro_cents(tx, "AmtDtls/TxAmt/Amt")
        if amount is None and len(transactions) == 1:
            amount = entry_amount
        remittance = read.remittance(tx, "RmtInf/Ustrd")
        if debit:
            entries.append(
                BankEntry(
                    first_index + offset,
                    "booked",
                    read.end_to_end_id(tx, "Refs/EndToEndId"),
                    None,
                    amount,
                    read.iban(tx, "RltdPties/CdtrAcct/Id/IBAN"),
                    remittance,
                    None,
                    value_date,
                    reference,
                )
            )
            continue
        returned = read.first(tx, "RtrInf") is not None or _is_return_code(read, tx) or _is_return_code(read, ntry)
        iban = read.iban(tx, "RltdPties/DbtrAcct/Id/IBAN") or read.iban(tx, "RltdPties/CdtrAcct/Id/IBAN")
        reason = (read.text(tx, "RtrInf/Rsn/Cd") or read.text(tx, "RtrInf/Rsn/Prtry")) if returned else None
        entries.append(
            BankEntry(
                first_index + offset,
                "returned" if returned else "credit",
                read.end_to_end_id(tx, "Refs/EndToEndId"),
                None,
                amount,
                iban,
                remittance,
                reason,
                value_date,
                reference,
                None if returned else _creditor_reference(read, tx),
            )
        )
    return entries


def _creditor_reference(read: Reader, tx: etree._Element) -> str | None:
    # What a firm repaying a recovery order quotes: its ISO 11649 reference, in the structured remittance.
    for structured in read.all(tx, "RmtInf/Strd"):
        if reference := read.text(structured, "CdtrRefInf/Ref"):
            return reference
    return None


def _is_return_code(read: Reader, element: etree._Element) -> bool:
    domain = read.first(element, "BkTxCd/Domn")
    if domain is None:
        return False
    code = (read.text(domain, "Cd"), read.text(domain, "Fmly/Cd"), read.text(domain, "Fmly/SubFmlyCd"))
    return code == _RETURN_CODE
