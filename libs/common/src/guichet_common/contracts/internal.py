"""The project's own events between services. Ours to design; only additive changes within a version.

They may carry contact and bank details (internal topics only; `claims.status.v1` never does), and then *sealed*
(guichet_common.privacy.sealing): `sealed:v1:<kind>:<claim_id>:...`, opened only by the services that keep the
claim's keys. Events written before sealing existed carry them in clear, and still read.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from guichet_common.contracts.base import Cents, Contract, Siren, Timestamp
from guichet_common.contracts.claim_submitted import SubmittedClaim

# A sealed value is longer than the field it seals: an internal event gives it room (and checks nothing else of it:
# the contract topic checked the field before intake sealed it).
SealedText = Annotated[str, Field(min_length=1, max_length=4000)]


class SealedContact(Contract):
    full_name: SealedText
    email: SealedText
    phone: SealedText | None = None


class SealedBankAccount(Contract):
    iban: SealedText
    bic: SealedText | None = None
    holder_name: SealedText


class RegisteredClaim(SubmittedClaim):
    """The submitted claim as intake registers it: its contact (kind `contact`) and bank account (kind `bank`)
    sealed under the claim's keys."""

    contact: SealedContact  # type: ignore[assignment]
    bank_account: SealedBankAccount  # type: ignore[assignment]


CLAIMS_REGISTERED_TOPIC = "intake.claims-registered.v1"
APPLICANT_CONTACTS_TOPIC = "intake.applicant-contacts.v1"
ELIGIBILITY_DECISIONS_TOPIC = "eligibility.decisions.v1"


class ClaimRegisteredV1(Contract):
    """intake -> eligibility: a claim passed intake checks and is registered. Key: the applicant SIREN."""

    event_id: UUID
    occurred_at: Timestamp
    correlation_id: UUID
    claim: RegisteredClaim
    # A keyed hash of the compact IBAN (MasterKey.fingerprint): eligibility compares IBANs across claims with it,
    # never opening one. None in events written before sealing.
    iban_fingerprint: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
    # The submission's `source` (the portal that sent it), for the statuses of later stages; None before it existed.
    source: Annotated[str, Field(max_length=200)] | None = None


class ApplicantContactV1(Contract):
    """intake -> notifications: where to write to the applicant about a claim. Key: the claim_id."""

    event_id: UUID
    occurred_at: Timestamp
    correlation_id: UUID
    claim_id: str
    programme: str
    email: SealedText  # sealed (kind contact)
    full_name: SealedText  # sealed (kind contact)
    iban_last4: Annotated[str, Field(max_length=4)] | None = None
    # A person's rectification (the privacy_rectify command's id): notifications replaces the contact it keeps,
    # which it never does otherwise (a claim's first contact wins).
    rectification_id: UUID | None = None


class ClaimDecidedV1(Contract):
    """eligibility -> payments: a claim approved for a grant. Key: the applicant SIREN (one aid per SIREN)."""

    event_id: UUID
    occurred_at: Timestamp
    correlation_id: UUID
    claim_id: str
    programme: str
    siren: Siren
    decision: Literal["approved"]
    rule_version: str
    grant_amount_cents: Annotated[Cents, Field(ge=1)]
    submitted_at: Timestamp
    # Sealed (kind bank), as intake registered them: eligibility passes them on unopened; payments opens them.
    beneficiary_name: SealedText
    iban: SealedText
    bic: SealedText | None = None
    # The claim's `source` (ClaimRegisteredV1.source), for payments' statuses; None when unknown.
    source: Annotated[str, Field(max_length=200)] | None = None
    # What post-payment controls select on (payments' risk rules, guichet_payments.controls): the codes that sent the
    # claim to a person's review before its approval (empty when the rules alone approved it), and the SIRENs of
    # its invoices' suppliers. Absent on approvals published before controls existed: read as none.
    reviewed_reasons: list[Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]+$")]] = Field(default_factory=list)
    approved_by_person: bool = False
    supplier_sirens: list[Siren] = Field(default_factory=list)
