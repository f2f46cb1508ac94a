"""The portals' use cases on the in-memory unit of work: idempotency by claim_id and body, conflicts that do not
say whose claim_id it is, ownership of bank details and history."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid

import pytest

from guichet_common.contracts.bank_details import ClaimBankDetailsV1
from guichet_common.contracts.claim_submitted import ClaimSubmittedV1, SubmittedClaim
from guichet_gateway import claims
from guichet_gateway.digests import PostDigest
from guichet_gateway.repository import StatusEntry

from .fakes import EXAMPLE_CLAIM, FakeGatewayWork

NOW = dt.datetime(2026, 12, 3, 14, 0, tzinfo=dt.UTC)
CLAIM = SubmittedClaim.model_validate_json(json.dumps(EXAMPLE_CLAIM))


def keyed_for_tests(plain: bytes) -> bytes:
    return hashlib.sha256(b"test key:" + plain).digest()


BODY_A, BODY_B = PostDigest.of(b"a" * 32, keyed_for_tests), PostDigest.of(b"b" * 32, keyed_for_tests)


async def accept(uow: FakeGatewayWork, portal: str = "alpha", body: PostDigest = BODY_A) -> claims.Accepted:
    return await claims.accept_claim(uow, portal, CLAIM, body, topic_prefix="t.", now=NOW)


def details(event_id: uuid.UUID | None = None) -> ClaimBankDetailsV1:
    return ClaimBankDetailsV1(
        event_id=event_id or uuid.uuid4(),
        occurred_at=NOW,
        claim_id=CLAIM.claim_id,
        iban="FR7630006000011234567890189",
        holder_name="BOUTIQUE",
    )


async def test_a_claim_is_published_once_with_the_portal_as_source() -> None:
    uow = FakeGatewayWork()
    first = await accept(uow)
    again = await accept(uow)

    assert again == first
    assert [message.topic for message in uow.committed] == ["t.claims.submitted.v1"]
    event = ClaimSubmittedV1.model_validate_json(uow.committed[0].value)
    assert (event.source, event.event_id, event.claim) == ("alpha", first.event_id, CLAIM)
    assert uow.committed[0].key == CLAIM.applicant.siren.encode()


async def test_another_body_under_the_same_claim_id_is_a_conflict() -> None:
    uow = FakeGatewayWork()
    await accept(uow)
    with pytest.raises(claims.ClaimIdConflict):
        await accept(uow, body=BODY_B)
    assert len(uow.committed) == 1


async def test_a_claim_id_another_portal_took_is_a_conflict_even_with_the_same_body() -> None:
    uow = FakeGatewayWork()
    await accept(uow, portal="alpha")
    with pytest.raises(claims.ClaimIdConflict):
        await accept(uow, portal="beta")


async def test_bank_details_are_published_once_per_body_for_the_portals_own_claim() -> None:
    uow = FakeGatewayWork()
    await accept(uow)
    first = await claims.accept_bank_details(uow, "alpha", CLAIM.claim_id, details(), BODY_A, topic_prefix="t.")
    again = await claims.accept_bank_details(uow, "alpha", CLAIM.claim_id, details(), BODY_A, topic_prefix="t.")
    other = await claims.accept_bank_details(uow, "alpha", CLAIM.claim_id, details(), BODY_B, topic_prefix="t.")

    assert again == first and other.event_id != first.event_id
    published = [m for m in uow.committed if m.topic == "t.claims.bank-details.v1"]
    assert [ClaimBankDetailsV1.model_validate_json(m.value).event_id for m in published] == [
        first.event_id,
        other.event_id,
    ]
    assert published[0].key == CLAIM.claim_id.encode()


@pytest.mark.parametrize("portal, claim_id", [("beta", CLAIM.claim_id), ("alpha", "UNKNOWN-0001")])
async def test_another_portals_or_an_unknown_claim_is_not_found(portal: str, claim_id: str) -> None:
    uow = FakeGatewayWork()
    await accept(uow, portal="alpha")
    with pytest.raises(claims.ClaimNotFound):
        await claims.accept_bank_details(uow, portal, claim_id, details(), BODY_A, topic_prefix="t.")
    with pytest.raises(claims.ClaimNotFound):
        await claims.claim_history(uow, portal, claim_id)
    assert [m.topic for m in uow.committed] == ["t.claims.submitted.v1"]


async def test_the_history_is_the_claims_statuses_in_order() -> None:
    uow = FakeGatewayWork()
    accepted = await accept(uow)
    entries = [StatusEntry(NOW, status, {"status": status}) for status in ("received", "approved")]
    uow.gateway.statuses[CLAIM.claim_id] = entries

    assert await claims.claim_history(uow, "alpha", CLAIM.claim_id) == claims.ClaimHistory(accepted, entries, {})
