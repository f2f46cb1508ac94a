"""Credits on the agency's account as its bank reports them: a firm repaying a recovery order by transfer.

A camt.054 (debit/credit notification) or a camt.053 (the day's statement repeating the same entries) of ISO 20022
version 02, one booked CRDT entry per credit. The firm quotes the order's creditor reference (`RF…`) either
structured (RmtInf/Strd/CdtrRefInf/Ref, typed SCOR as ISO 11649 asks) or as free text (RmtInf/Ustrd), as
real transfers do both. The entry's AcctSvcrRef is what makes a repeated entry the same booking (payments records
the camt.053's copy as a duplicate of the camt.054's), so a credit keeps the `bank_reference` it is given.

Used by the failure suite's control-and-recovery scenario and by tests/e2e/test_controls_recovery.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape

Remittance = Literal["structured", "unstructured"]
AGENCY_IBAN = "FR7630001007941234567890185"  # the programme files' [payment] debtor_iban: the agency's account


@dataclass(frozen=True)
class Credit:
    """One credit transfer received: `reference` is what the firm wrote on it (an order's RF reference, say)."""

    amount_cents: int
    reference: str
    bank_reference: str  # AcctSvcrRef: the bank's id of the booking, the same in the camt.054 and the camt.053
    remittance: Remittance = "structured"
    debtor_name: str = "SOCIETE QUI REMBOURSE"
    debtor_iban: str = "FR7610107001011234567890129"


def euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _remittance(credit: Credit) -> str:
    if credit.remittance == "unstructured":
        # A firm's own words around the reference, spaced in groups of four as many bank forms print it.
        spaced = " ".join(credit.reference[i : i + 4] for i in range(0, len(credit.reference), 4))
        return f"<RmtInf><Ustrd>REVERSEMENT {escape(spaced)}</Ustrd></RmtInf>"
    return (
        "<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp>"
        f"<Ref>{escape(credit.reference)}</Ref></CdtrRefInf></Strd></RmtInf>"
    )


def _entry(credit: Credit, day: dt.date) -> str:
    amount = euros(credit.amount_cents)
    return f"""
      <Ntry>
        <Amt Ccy="EUR">{amount}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>{day.isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{day.isoformat()}</Dt></ValDt>
        <AcctSvcrRef>{escape(credit.bank_reference)}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
            <AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>
            <RltdPties>
              <Dbtr><Nm>{escape(credit.debtor_name)}</Nm></Dbtr>
              <DbtrAcct><Id><IBAN>{credit.debtor_iban}</IBAN></Id></DbtrAcct>
            </RltdPties>
            {_remittance(credit)}
          </TxDtls>
        </NtryDtls>
      </Ntry>"""


def _account(agency_iban: str) -> str:
    return f"<Acct><Id><IBAN>{agency_iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>"


def camt054(message_id: str, credits: list[Credit], day: dt.date, agency_iban: str = AGENCY_IBAN) -> bytes:
    """A debit/credit notification of `credits`, booked on `day`."""
    created = f"{day.isoformat()}T18:05:00"
    entries = "".join(_entry(c, day) for c in credits)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>{escape(message_id)}</MsgId><CreDtTm>{created}</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>{escape(message_id)}-1</Id>
      <CreDtTm>{created}</CreDtTm>
      {_account(agency_iban)}{entries}
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
""".encode()


def camt053(message_id: str, credits: list[Credit], day: dt.date, agency_iban: str = AGENCY_IBAN) -> bytes:
    """The day's statement repeating `credits` (the same AcctSvcrRef as their notification), with its balances."""
    created = f"{day.isoformat()}T22:00:00"
    total = sum(c.amount_cents for c in credits)
    balances = "".join(
        f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{euros(amount)}</Amt>'
        f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
        for code, amount in (("OPBD", 1_000_000_00), ("CLBD", 1_000_000_00 + total))
    )
    entries = "".join(_entry(c, day) for c in credits)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>{escape(message_id)}</MsgId><CreDtTm>{created}</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{escape(message_id)}-1</Id>
      <CreDtTm>{created}</CreDtTm>
      {_account(agency_iban)}{balances}{entries}
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()
