"""Claims for the browser tests, as the portal and the registry feed would send them: the contract's example with
an applicant of its own (random valid SIREN, SIRET and IBAN, in ranges the acceptance corpus never uses), so these
claims trip no fraud signal with another test's claims, and a pair that trips INVOICE_REUSED on purpose."""

from __future__ import annotations

import copy
import datetime as dt
import json
import secrets
import uuid
from dataclasses import dataclass

from schwifty import IBAN
from stdnum import luhn

from guichet_common.contracts import EXAMPLES, PaymentSettlementV1


def _example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


EXAMPLE_CLAIM = _example("claims.submitted.v1")
EXAMPLE_REGISTRY = _example("registry.companies.v1")


@dataclass(frozen=True)
class Applicant:
    siren: str
    siret: str
    iban: str


def new_applicant() -> Applicant:
    # 4xxxxxxx: the corpus allocates from 81,000,000 up and the other e2e tests use fixed SIRENs in the 6xx range.
    body = f"{40_000_000 + secrets.randbelow(9_000_000):08d}"
    siren = body + luhn.calc_check_digit(body)
    siret_body = f"{siren}0001"
    account = f"{secrets.randbelow(10**11):011d}"
    iban = str(IBAN.generate("FR", bank_code="30003", branch_code="01000", account_code=account))
    return Applicant(siren, siret_body + luhn.calc_check_digit(siret_body), iban)


def registry_record(applicant: Applicant) -> tuple[bytes, bytes]:
    record = {**copy.deepcopy(EXAMPLE_REGISTRY), "siren": applicant.siren}
    return applicant.siren.encode(), json.dumps(record, ensure_ascii=False).encode()


def claim_event(applicant: Applicant, invoices: list[dict] | None = None) -> dict:
    """The example claim for `applicant`, with invoices of its own unless `invoices` are given (to reuse some)."""
    event = copy.deepcopy(EXAMPLE_CLAIM)
    event["event_id"] = str(uuid.uuid4())
    claim = event["claim"]
    claim["claim_id"] = "CFN-BROWSER-" + uuid.uuid4().hex[:10].upper()
    claim["applicant"].update(siren=applicant.siren, siret=applicant.siret)
    claim["bank_account"]["iban"] = applicant.iban
    if invoices is None:
        for invoice in claim["invoices"]:
            invoice["invoice_number"] += "-" + claim["claim_id"]
    else:
        claim["invoices"] = copy.deepcopy(invoices)
    return event


def keyed(event: dict) -> tuple[bytes, bytes]:
    return event["claim"]["applicant"]["siren"].encode(), json.dumps(event, ensure_ascii=False).encode()


def settled(issued: dict) -> tuple[bytes, bytes]:
    """Finance's answer that the bank settled the payment instruction `issued` (a payments.issued.v1 value)."""
    settlement = PaymentSettlementV1(
        event_id=uuid.uuid4(),
        occurred_at=dt.datetime.now(dt.UTC),
        payment_id=issued["payment_id"],
        end_to_end_id=issued["end_to_end_id"],
        status="settled",
        value_date=dt.date.fromisoformat(issued["requested_execution_date"]) + dt.timedelta(days=1),
        attempt=issued["attempt"],
    )
    return issued["payment_id"].encode(), settlement.model_dump_json(exclude_none=True).encode()
