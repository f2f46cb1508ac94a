"""What intake publishes about a claim's people, sealed under the claim's keys: the registered claim (contact kind
`contact`, bank account kind `bank`, the IBAN's keyed fingerprint) and the applicant's contact."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from guichet_common.contracts import ApplicantContactV1
from guichet_common.contracts.claim_submitted import SubmittedClaim
from guichet_common.contracts.internal import (
    APPLICANT_CONTACTS_TOPIC,
    RegisteredClaim,
    SealedBankAccount,
    SealedContact,
)
from guichet_common.outbox import OutboxMessage
from guichet_common.privacy.sealing import MasterKey
from guichet_intake import domain
from guichet_intake.keys import ClaimKeys


def sealed_claim(keys: ClaimKeys, claim: SubmittedClaim) -> RegisteredClaim:
    """The claim as registered: its contact and bank account sealed (what eligibility reads, and intake keeps)."""
    subject, contact, bank = claim.claim_id, claim.contact, claim.bank_account
    sealed_contact = keys.seal(
        subject, "contact", {"full_name": contact.full_name, "email": contact.email, "phone": contact.phone}
    )
    sealed_bank = keys.seal(subject, "bank", {"iban": bank.iban, "bic": bank.bic, "holder_name": bank.holder_name})
    # Built without validating the claim a second time: it was validated as submitted, and only the sealed strings
    # are new (a full validation of the nested claim was a tenth of intake's CPU under make bench).
    fields = dict(claim)
    fields["contact"] = SealedContact.model_construct(**_present(sealed_contact))
    fields["bank_account"] = SealedBankAccount.model_construct(**_present(sealed_bank))
    return RegisteredClaim.model_construct(**fields)


def iban_fingerprint(master: MasterKey, iban: str) -> str:
    """The keyed hash eligibility compares IBANs with (IBAN_SHARED), of the compact upper-case IBAN."""
    return master.fingerprint("".join(iban.split()).upper())


def contact_message(
    keys: ClaimKeys,
    prefix: str,
    *,
    claim_id: str,
    programme: str,
    email: str,
    full_name: str,
    correlation_id: uuid.UUID,
    iban: str | None = None,
    rectification_id: uuid.UUID | None = None,
) -> OutboxMessage:
    """ApplicantContactV1 with the e-mail and name sealed (kind contact); only the IBAN's last four digits in clear.
    A rectified contact names its request (`rectification_id`): notifications then replaces the contact it keeps.
    Raises KeyErased when the claim's contact was erased."""
    sealed = keys.seal(claim_id, "contact", {"email": email, "full_name": full_name})
    contact = ApplicantContactV1(
        event_id=uuid.uuid4(),
        occurred_at=dt.datetime.now(dt.UTC),
        correlation_id=correlation_id,
        claim_id=claim_id,
        programme=programme,
        email=sealed["email"] or "",
        full_name=sealed["full_name"] or "",
        iban_last4=domain.last4(iban) if iban and domain.iban_is_valid(iban) else None,
        rectification_id=rectification_id,
    )
    return OutboxMessage.of_event(prefix + APPLICANT_CONTACTS_TOPIC, claim_id, contact)


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}
