"""The external contracts (../shared/contracts) and the project's internal events, as frozen pydantic v2 models.

Each model sits beside the name of its topic. Within a version only additive changes are allowed.
"""

from pathlib import Path

from guichet_common.contracts.appeals import Appeal, ClaimAppealV1, CorrectedFacts
from guichet_common.contracts.bank_details import ClaimBankDetailsV1
from guichet_common.contracts.claim_submitted import (
    Address,
    Applicant,
    BankAccount,
    ClaimSubmittedV1,
    Contact,
    Declarations,
    FiledBy,
    Invoice,
    SubmittedClaim,
)
from guichet_common.contracts.internal import ApplicantContactV1, ClaimDecidedV1, ClaimRegisteredV1
from guichet_common.contracts.payments import PaymentIssuedV1, PaymentSettlementV1
from guichet_common.contracts.registry import RegistryCompanyV1
from guichet_common.contracts.status import ClaimStatus, ClaimStatusV1

# The JSON Schemas and examples the models follow, copied verbatim from ../shared/contracts.
PUBLISHED = Path(__file__).parent / "published"
EXAMPLES = PUBLISHED / "examples"

__all__ = [
    "EXAMPLES",
    "PUBLISHED",
    "Address",
    "Appeal",
    "Applicant",
    "ApplicantContactV1",
    "BankAccount",
    "ClaimAppealV1",
    "ClaimBankDetailsV1",
    "ClaimDecidedV1",
    "ClaimRegisteredV1",
    "ClaimStatus",
    "ClaimStatusV1",
    "ClaimSubmittedV1",
    "Contact",
    "CorrectedFacts",
    "Declarations",
    "FiledBy",
    "Invoice",
    "PaymentIssuedV1",
    "PaymentSettlementV1",
    "RegistryCompanyV1",
    "SubmittedClaim",
]
