"""A credit's creditor reference (RmtInf/Strd/CdtrRefInf/Ref) is read from a camt.054: what repays a recovery order."""

from __future__ import annotations

from guichet_payments.bank_files.reading import read_bank_file

CREDIT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>NTF-1</MsgId><CreDtTm>2026-12-03T09:15:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N-1</Id><CreDtTm>2026-12-03T09:15:00</CreDtTm>
<Acct><Id><IBAN>FR7630001007941234567890185</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-12-03</Dt></BookgDt>
<AcctSvcrRef>CR-1</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><RmtInf><Ustrd>REMBOURSEMENT</Ustrd><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry>
</Tp><Ref>RF41 RO00 0000 0000 01</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"""


def test_a_credit_carries_its_creditor_reference_and_free_text() -> None:
    [entry] = read_bank_file("credit.xml", CREDIT.encode(), max_bytes=100_000).entries
    assert (entry.effect, entry.amount_cents, entry.bank_reference) == ("credit", 10_000, "CR-1")
    assert (entry.creditor_reference, entry.remittance) == ("RF41 RO00 0000 0000 01", "REMBOURSEMENT")


def test_a_return_carries_none() -> None:
    returned = CREDIT.replace("<Cd>RCDT</Cd>", "<Cd>ICDT</Cd>").replace("ESCT", "RRTN")
    [entry] = read_bank_file("return.xml", returned.encode(), max_bytes=100_000).entries
    assert (entry.effect, entry.creditor_reference) == ("returned", None)
