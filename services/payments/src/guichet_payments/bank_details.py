"""New bank details after a returned payment: the payment goes out again only to details a SEPA file can carry
and that do not divert the grant to an account already paid for another company.

`claims.bank-details.v1` carries no SIREN and anyone allowed to publish on it can send details for any claim, so
the checks are the ones payments can make from what it holds: the claim must have a returned payment, the values
must have a canonical form (`guichet_common.canonical`, as at intake), and the IBAN must not be on a payment,
an attempt or a waiting approval of another SIREN (IBAN_SHARED: no review is possible here, so one other company
is enough). Refused details leave the payment returned (its expiry clock keeps running) and are announced as
`payment_returned` again with the refusal codes as reasons: the contract has no status for refused details, and
the claim is indeed still returned and waiting for usable details. Notifications sends one e-mail per kind, so
the applicant is not mailed twice; the portal reads the reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from guichet_common.canonical import Refused, canonical_bic, canonical_iban, sepa_name, text_is_clean
from guichet_common.contracts import ClaimBankDetailsV1
from guichet_common.outbox import OutboxMessage
from guichet_payments.domain import Payee
from guichet_payments.sealed_payees import iban_fingerprint
from guichet_payments.unit_of_work import PaymentsWork

if TYPE_CHECKING:
    from guichet_payments.service import PaymentsService

log = structlog.get_logger()

IBAN_INVALID = "IBAN_INVALID"
BIC_INVALID = "BIC_INVALID"
HOLDER_NAME_UNWRITABLE = "HOLDER_NAME_UNWRITABLE"
TEXT_CONTROL_CHARACTERS = "TEXT_CONTROL_CHARACTERS"
IBAN_SHARED = "IBAN_SHARED"


@dataclass(frozen=True)
class BankDetails:
    iban: str
    bic: str | None
    holder_name: str


def canonical_details(iban: str, bic: str | None, holder_name: str) -> BankDetails | list[str]:
    """The details as the SEPA file will carry them, or every failing code."""
    compact = canonical_iban(iban)
    checked_bic = canonical_bic(bic) if bic is not None else None
    name = sepa_name(holder_name)
    codes = [
        code
        for code, failed in (
            (IBAN_INVALID, isinstance(compact, Refused)),
            (BIC_INVALID, isinstance(checked_bic, Refused)),
            (HOLDER_NAME_UNWRITABLE, isinstance(name, Refused)),
            (TEXT_CONTROL_CHARACTERS, not text_is_clean(holder_name)),
        )
        if failed
    ]
    if codes or isinstance(compact, Refused) or isinstance(checked_bic, Refused) or isinstance(name, Refused):
        return codes
    return BankDetails(compact, checked_bic, name)


async def apply_new_details(
    uow: PaymentsWork, payments: PaymentsService, new: ClaimBankDetailsV1
) -> list[OutboxMessage]:
    """Issue the returned payment of `new.claim_id` again to the new details, or tell the portal why not."""
    payment = await uow.payments.returned_payment_of_claim(new.claim_id)
    if payment is None:
        log.info("bank_details_without_returned_payment", claim_id=new.claim_id)
        return []
    details = canonical_details(new.iban, new.bic, new.holder_name)
    if isinstance(details, BankDetails) and await uow.accounts.used_by_other_companies(
        details.iban, payment.siren, iban_fingerprint(payments.fingerprint, details.iban)
    ):
        details = [IBAN_SHARED]
    if isinstance(details, list):
        log.warning("bank_details_refused", claim_id=new.claim_id, codes=details)
        refused = payments.announce.of_payment(
            payment, "payment_returned", payments.clock(), reasons=details, amount_cents=payment.amount_cents
        )
        return [refused]
    payment, attempt = payment.retry(Payee(details.holder_name, details.iban, details.bic), payments.clock())
    await uow.payments.record_retry(payment, attempt)
    log.info("payment_reissue_scheduled", claim_id=new.claim_id, attempt=attempt.number)
    return []
