"""Registered claims as intake publishes them since issue 18, for eligibility's integration tests: contact and bank
sealed under the claim's keys, the IBAN's fingerprint beside the claim (eligibility holds neither key)."""

from __future__ import annotations

from typing import Any

from guichet_common.contracts import ClaimRegisteredV1, SubmittedClaim
from guichet_common.contracts.internal import RegisteredClaim
from guichet_common.privacy.sealing import MasterKey, seal

MASTER = MasterKey(bytes(range(32)))
DATA_KEY = bytes(range(32, 64))


def sealed(submitted: SubmittedClaim) -> RegisteredClaim:
    data = submitted.model_dump(mode="json")
    for section, kind in (("contact", "contact"), ("bank_account", "bank")):
        data[section] = {
            name: seal(DATA_KEY, kind, submitted.claim_id, value) if value is not None else None
            for name, value in data[section].items()
        }
    return RegisteredClaim.model_validate(data, strict=False)


def registered_event(*, claim: SubmittedClaim, **fields: Any) -> ClaimRegisteredV1:
    """ClaimRegisteredV1 for `claim` (given in clear, as a portal submitted it), sealed as intake registers it."""
    fingerprint = MASTER.fingerprint("".join(claim.bank_account.iban.split()).upper())
    return ClaimRegisteredV1(claim=sealed(claim), iban_fingerprint=fingerprint, **fields)
