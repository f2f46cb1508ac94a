"""The gateway's part of a person's rights, on the in-memory unit of work: intake's erasures of the gateway's claims
are recorded and announced once (others are ignored), and after an erasure a replayed post still gets its first
answer, publishing nothing, while the claim's history says when each kind was erased."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest

from guichet_common.contracts.backoffice import OperatorCommandV1
from guichet_common.contracts.privacy import PrivacyErasedV1
from guichet_common.operator_commands import CommandRefused
from guichet_gateway import claims
from guichet_gateway.privacy import INVENTORY, NOT_PERSONAL
from guichet_gateway.privacy.service import GatewayPrivacyRequests, follow_erasures

from .fakes import FakeGatewayWork
from .test_claims import BODY_A, BODY_B, CLAIM, NOW, accept, details, keyed_for_tests

ERASED_AT = dt.datetime(2029, 1, 5, 3, 0, tzinfo=dt.UTC)


def announced(service: str, kind: str = "contact", claim_id: str = CLAIM.claim_id, **fields: Any) -> PrivacyErasedV1:
    values = {"event_id": uuid.uuid4(), "occurred_at": NOW, "claim_id": claim_id, "programme": "cfn-2021"}
    values |= {"kind": kind, "service": service, "reason": "retention", "erased_at": NOW}
    return PrivacyErasedV1.model_validate(values | fields, strict=False)


def payloads(messages: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(m.value) for m in messages]


async def test_intakes_erasure_of_a_gateway_claim_is_recorded_and_announced_as_the_gateways() -> None:
    uow = FakeGatewayWork()
    await accept(uow)
    request = uuid.uuid4()
    bank = announced(
        "intake", "bank", reason="request", request_id=request, requested_by="d.dupont", legal_reason="art. 17"
    )

    messages = await follow_erasures(
        uow, [announced("intake"), bank], topic_prefix="t.", now=ERASED_AT, digest_key=keyed_for_tests
    )

    assert {m.topic for m in messages} == {"t.privacy.erased.v1"}
    assert {m.key for m in messages} == {CLAIM.claim_id.encode()}
    by_kind = {p["kind"]: p for p in payloads(messages)}
    assert by_kind["contact"]["service"] == by_kind["bank"]["service"] == "gateway"
    assert by_kind["contact"]["programme"] == CLAIM.programme
    assert by_kind["contact"]["reason"] == "retention" and "request_id" not in by_kind["contact"]
    assert (by_kind["bank"]["reason"], by_kind["bank"]["request_id"]) == ("request", str(request))
    assert (by_kind["bank"]["requested_by"], by_kind["bank"]["legal_reason"]) == ("d.dupont", "art. 17")
    assert set(await uow.erasures.of([CLAIM.claim_id])) == {(CLAIM.claim_id, "contact"), (CLAIM.claim_id, "bank")}


async def test_an_erasure_already_recorded_is_announced_once() -> None:
    uow = FakeGatewayWork()
    await accept(uow)
    first = await follow_erasures(
        uow, [announced("intake")], topic_prefix="t.", now=ERASED_AT, digest_key=keyed_for_tests
    )
    again = await follow_erasures(
        uow, [announced("intake"), announced("intake")], topic_prefix="t.", now=NOW, digest_key=keyed_for_tests
    )

    assert len(first) == 1 and again == []
    [erasure] = (await uow.erasures.of([CLAIM.claim_id])).values()
    assert erasure.erased_at == ERASED_AT


@pytest.mark.parametrize("service", ["notifications", "gateway", "payments", "backoffice", "eligibility"])
async def test_other_services_announcements_are_ignored(service: str) -> None:
    uow = FakeGatewayWork()
    await accept(uow)
    assert (
        await follow_erasures(uow, [announced(service)], topic_prefix="t.", now=ERASED_AT, digest_key=keyed_for_tests)
        == []
    )
    assert await uow.erasures.of([CLAIM.claim_id]) == {}


async def test_a_claim_posted_elsewhere_is_none_of_the_gateways_business() -> None:
    uow = FakeGatewayWork()
    await accept(uow)
    elsewhere = announced("intake", claim_id="KAFKA-PORTAL-0001")
    assert await follow_erasures(uow, [elsewhere], topic_prefix="t.", now=ERASED_AT, digest_key=keyed_for_tests) == []
    assert await uow.erasures.of(["KAFKA-PORTAL-0001"]) == {}


async def test_after_erasure_a_replayed_post_gets_its_first_answer_and_publishes_nothing() -> None:
    uow = FakeGatewayWork()
    first = await accept(uow)
    bank_first = await claims.accept_bank_details(uow, "alpha", CLAIM.claim_id, details(), BODY_A, topic_prefix="t.")
    erasures = [announced("intake", "contact"), announced("intake", "bank")]
    await follow_erasures(uow, erasures, topic_prefix="t.", now=ERASED_AT, digest_key=keyed_for_tests)
    published_before = len(uow.committed)

    assert await accept(uow) == first
    again = await claims.accept_bank_details(uow, "alpha", CLAIM.claim_id, details(), BODY_A, topic_prefix="t.")
    assert again == bank_first
    assert len(uow.committed) == published_before
    with pytest.raises(claims.ClaimIdConflict):
        await accept(uow, body=BODY_B)


async def test_a_digest_from_before_keyed_digests_is_keyed_at_erasure_and_a_replay_still_matches() -> None:
    uow = FakeGatewayWork()
    plain = claims.Accepted(CLAIM.claim_id, "alpha", BODY_A.plain, uuid.uuid4(), NOW)
    await uow.gateway.accept_claim(plain, CLAIM.programme, keyed=False)
    assert await accept(uow) == plain  # a plain digest matches before erasure

    await follow_erasures(uow, [announced("intake")], topic_prefix="t.", now=ERASED_AT, digest_key=keyed_for_tests)
    await follow_erasures(
        uow, [announced("intake", "bank")], topic_prefix="t.", now=ERASED_AT, digest_key=keyed_for_tests
    )

    assert uow.gateway.claims[CLAIM.claim_id].body_sha256 == BODY_A.keyed  # keyed once, not twice
    assert (await accept(uow)).event_id == plain.event_id
    with pytest.raises(claims.ClaimIdConflict):
        await accept(uow, body=BODY_B)


async def test_the_history_says_when_each_kind_was_erased_and_keeps_the_statuses() -> None:
    uow = FakeGatewayWork()
    await accept(uow)
    await follow_erasures(
        uow, [announced("intake", "bank")], topic_prefix="t.", now=ERASED_AT, digest_key=keyed_for_tests
    )

    history = await claims.claim_history(uow, "alpha", CLAIM.claim_id)
    assert history.erased_at == {"bank": ERASED_AT}


async def test_the_gateway_refuses_erasures_and_rectifications_it_does_not_decide() -> None:
    command = OperatorCommandV1.model_validate_json(
        json.dumps(
            {
                "event_id": str(uuid.uuid4()),
                "occurred_at": NOW.isoformat(),
                "service": "gateway",
                "action": "privacy_erase",
                "target": CLAIM.claim_id,
                "requested_by": "d.dupont",
                "reason": "art. 17",
                "claim_ids": [CLAIM.claim_id],
            }
        )
    )
    with pytest.raises(CommandRefused, match="notifications"):
        await GatewayPrivacyRequests().erase(FakeGatewayWork(), command, NOW)
    with pytest.raises(CommandRefused, match="intake"):
        await GatewayPrivacyRequests().rectify(FakeGatewayWork(), command, NOW)


def test_the_inventory_is_the_gateways_and_says_nothing_is_both_declared_and_not_personal() -> None:
    assert INVENTORY.service == "gateway"
    declared = {(f.name, f.field) for f in INVENTORY.fields if f.place == "table"}
    assert declared.isdisjoint(NOT_PERSONAL)
    assert INVENTORY.declares("topic", "claims.bank-details.v1", "iban")
