"""Claims eligibility stored before intake sealed them (issue 18) hold their IBAN and contact in clear in the payload,
and no fingerprint. A background job gives them their IBAN's fingerprint (so IBAN_SHARED sees them again), and
nulls their clear contact and bank values once their decision is taken (nothing left to pass on to payments)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from guichet_common.contracts import ClaimRegisteredV1
from guichet_common.records import InboundRecord
from guichet_eligibility.before_sealing import upgrade_claims_stored_before_sealing
from guichet_eligibility.service import EligibilityService

from .fakes import (
    CLAIM,
    PROGRAMMES,
    FakeEligibilityUnitOfWork,
    claim,
    company,
    fingerprint,
    registered,
    statuses,
    subscriptions,
)

SERVICE = EligibilityService(programmes=PROGRAMMES)
REGISTRY, CLAIMS = subscriptions(SERVICE)
SIRENS = ("111111118", "222222226", "333333334")


def distinct_invoices(n: int) -> dict:
    return {"invoices": [i.model_copy(update={"invoice_number": f"{i.invoice_number}-{n}"}) for i in CLAIM.invoices]}


def before_sealing(n: int, siren: str) -> InboundRecord:
    submitted = claim(f"OLD-CLAIM-{n:04d}", siren, **distinct_invoices(n))
    event = ClaimRegisteredV1.model_validate(
        {
            "event_id": uuid.uuid4(),
            "occurred_at": CLAIM.submitted_at,
            "correlation_id": uuid.uuid4(),
            "claim": submitted.model_dump(mode="json"),
        },
        strict=False,
    )
    return InboundRecord("intake.claims-registered.v1", 0, 0, siren.encode(), event.model_dump_json().encode())


async def test_old_claims_get_their_fingerprint_and_lose_their_clear_values_once_decided() -> None:
    uow = FakeEligibilityUnitOfWork()
    await REGISTRY.apply(uow, [company(SIRENS[0]), company(SIRENS[1])])
    await CLAIMS.apply(uow, [before_sealing(1, SIRENS[0])])  # decided (approved)
    await CLAIMS.apply(uow, [before_sealing(2, "999999999")])  # waits for its registry record: values kept
    assert await upgrade_claims_stored_before_sealing(uow, fingerprint) == 2
    old, waiting = uow.claims.rows["OLD-CLAIM-0001"], uow.claims.rows["OLD-CLAIM-0002"]
    assert old.facts.iban_fingerprint == waiting.facts.iban_fingerprint == fingerprint(CLAIM.bank_account.iban)
    assert old.payload["bank_account"] == {"iban": None, "bic": None, "holder_name": None}
    assert set(old.payload["contact"].values()) == {None}
    assert waiting.payload["bank_account"]["iban"] == CLAIM.bank_account.iban
    assert await upgrade_claims_stored_before_sealing(uow, fingerprint) == 0  # nothing left to do
    # A new claim sharing the IBAN now sees the old ones (three companies: IBAN_SHARED).
    await CLAIMS.apply(uow, [registered(claim("CLAIM-0003", SIRENS[1], **distinct_invoices(3)))])
    assert statuses(uow)[-1] == ("CLAIM-0003", "under_review", ["IBAN_SHARED"])
    assert CLAIM.bank_account.iban not in json.dumps(old.payload, default=str)
    _ = dt
