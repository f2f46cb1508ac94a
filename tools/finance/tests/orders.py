"""pain.001 files for the files bank's tests, written by payments' own writer (both versions)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

from guichet_finance.bank import return_reason, withholds_end_to_end_id
from guichet_payments.sepa import BatchFile, Debtor, Transfer, credit_transfer_xml

DEBTOR = Debtor(name="AGENCE DE SERVICES ET DE PAIEMENT", iban="FR7630001007941234567890185", bic="BDFEFRPPCCT")
IBANS = ("FR7620041580422190391656189", "FR7630004495552768711487646", "FR7630004282899835170784083")


def payment_id_where(test: Callable[[str], bool], skip: int = 0) -> str:
    """The first payment id of the form P000…n that `test` accepts (after `skip` others)."""
    found = (pid for pid in (f"P{n:030d}" for n in itertools.count()) if test(pid))
    return next(itertools.islice(found, skip, None))


BOOKED = payment_id_where(lambda pid: return_reason(pid, 1) is None)
REJECTED = payment_id_where(lambda pid: return_reason(pid, 1) == "AC01")
RETURNED = payment_id_where(lambda pid: return_reason(pid, 1) == "AC04" and not withholds_end_to_end_id(pid))
RETURNED_WITHOUT_ID = payment_id_where(lambda pid: return_reason(pid, 1) == "AC04" and withholds_end_to_end_id(pid))
# A second attempt is always paid, even of a payment whose first attempt was returned.
SECOND_ATTEMPT = f"{REJECTED}-2"


def transfer(end_to_end_id: str, iban: str = IBANS[0], amount_cents: int = 50_000) -> Transfer:
    return Transfer(
        end_to_end_id=end_to_end_id,
        amount_cents=amount_cents,
        creditor_name="BOUTIQUE TEST",
        creditor_iban=iban,
        creditor_bic=None,
        remittance=f"CHEQUE FRANCE NUM 2021 DOSSIER CFN-{end_to_end_id[-6:]}",
    )


def pain001(
    batch_id: str = "CFN2-20210303-100000-abcdef",
    end_to_end_ids: tuple[str, ...] = (BOOKED, REJECTED, RETURNED, RETURNED_WITHOUT_ID, SECOND_ATTEMPT),
    version: str = "pain.001.001.03",
) -> bytes:
    transfers = tuple(transfer(e2e, IBANS[i % len(IBANS)], 50_000 + i * 100) for i, e2e in enumerate(end_to_end_ids))
    return credit_transfer_xml(
        BatchFile(
            batch_id=batch_id,
            debtor=DEBTOR,
            execution_date=dt.date(2021, 3, 3),
            created_at=dt.datetime(2021, 3, 3, 9, 0, tzinfo=dt.UTC),
            transfers=transfers,
            message_version=version,
        )
    )
