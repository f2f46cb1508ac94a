"""Intake follows notifications' erasures: the claim's key of that kind destroyed, its copy blanked, the keys and
its own erasure announced, once; other services' announcements are not its to follow."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from guichet_common.clock import fixed_clock
from guichet_common.contracts.privacy import PrivacyErasedV1
from guichet_common.privacy.keyring import Erased, Opener
from guichet_intake.erasure import ErasureFollower
from guichet_intake.handlers import IntakeHandlers
from guichet_intake.service import DEVELOPMENT_MASTER

from .fakes import FakeIntakeUnitOfWork, opened
from .test_claims_submitted import CLAIM_ID, HANDLERS, PREFIX, apply, event, outbox

NOW = dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)
FOLLOWER = ErasureFollower(PREFIX, fixed_clock(NOW))
ERASURES = IntakeHandlers(HANDLERS.intake, FOLLOWER)
REQUEST = uuid.uuid4()


def erased(kind: str = "contact", service: str = "notifications", **more: Any) -> PrivacyErasedV1:
    return PrivacyErasedV1.model_validate_json(
        json.dumps(
            {
                "event_id": str(uuid.uuid4()),
                "occurred_at": "2024-03-01T11:00:00Z",
                "claim_id": CLAIM_ID,
                "programme": "cheque-france-num-2021",
                "kind": kind,
                "service": service,
                "reason": "retention",
                "erased_at": "2024-03-01T11:00:00Z",
                **more,
            }
        )
    )


async def registered() -> tuple[FakeIntakeUnitOfWork, dict[str, Any]]:
    uow = FakeIntakeUnitOfWork()
    await apply(uow, event())
    [claim] = outbox(uow, "intake.claims-registered.v1")
    uow.committed.clear()
    return uow, claim["claim"]


async def follow(uow: FakeIntakeUnitOfWork, *announced: PrivacyErasedV1) -> list[dict[str, Any]]:
    messages = await ERASURES.on_erasures(uow, announced)
    return [{"topic": m.topic.removeprefix(PREFIX), **json.loads(m.value)} for m in messages]


async def test_a_contact_erased_by_notifications_is_shredded_blanked_and_announced() -> None:
    uow, claim = await registered()
    published = await follow(uow, erased("contact"))
    assert [m["topic"] for m in published] == ["privacy.claim-keys.v1", "privacy.erased.v1"]
    keys, announcement = published
    assert keys["keys"]["contact"] is None and keys["keys"]["bank"]  # the bank key survives compaction
    assert (announcement["service"], announcement["kind"], announcement["reason"]) == ("intake", "contact", "retention")
    assert announcement["erased_at"].startswith("2024-03-01T12:00")
    assert await opened(uow, claim["contact"]["email"]) == Erased(NOW)  # every sealed copy, everywhere
    assert await opened(uow, claim["bank_account"]["iban"]) == "FR7693233145437431125912957"
    stored = uow.claims.registered[CLAIM_ID].payload
    assert stored["contact"] == {"full_name": None, "email": None, "phone": None}
    assert stored["bank_account"] == claim["bank_account"] and stored["applicant"]["siren"] == "642515712"


async def test_an_erasure_asked_by_a_person_passes_the_request_on() -> None:
    uow, _ = await registered()
    asked = {"reason": "request", "request_id": str(REQUEST), "requested_by": "agent.dupont", "legal_reason": "art. 17"}
    [_, announcement] = await follow(uow, erased("bank", **asked))
    assert {k: announcement[k] for k in asked} == asked
    assert uow.claims.registered[CLAIM_ID].payload["bank_account"] == {"iban": None, "bic": None, "holder_name": None}


async def test_an_erasure_already_applied_publishes_nothing_more() -> None:
    uow, _ = await registered()
    await follow(uow, erased("contact"))
    assert await follow(uow, erased("contact")) == []


async def test_other_services_announcements_are_not_followed() -> None:
    uow, claim = await registered()
    assert await follow(uow, erased("contact", service="intake"), erased("bank", service="payments")) == []
    assert isinstance(await opened(uow, claim["contact"]["email"]), str)


async def test_both_kinds_in_one_batch_announce_the_keys_once_both_null() -> None:
    uow, _ = await registered()
    published = await follow(uow, erased("contact"), erased("bank"))
    [keys] = [m for m in published if m["topic"] == "privacy.claim-keys.v1"]
    assert keys["keys"] == {"contact": None, "bank": None}
    assert sorted(m["kind"] for m in published if m["topic"] == "privacy.erased.v1") == ["bank", "contact"]


async def test_the_process_opener_forgets_a_destroyed_key_at_once() -> None:
    uow, claim = await registered()
    opener = Opener(DEVELOPMENT_MASTER)
    email = claim["contact"]["email"]
    assert isinstance((await opener.open_many(uow.keys, [email]))[email], str)  # its key now in the cache
    await ErasureFollower(PREFIX, fixed_clock(NOW), opener).follow(uow, [erased("contact")])
    assert (await opener.open_many(uow.keys, [email]))[email] == Erased(NOW)
