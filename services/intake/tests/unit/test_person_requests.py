"""A person's requests as intake applies them through its operator commands: export what it holds (opened, erased
fields dated), rectify the contact (sealed again with the claim's key, announced again), refuse what it cannot."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from guichet_common.contracts.backoffice import OperatorCommandV1
from guichet_common.operator_commands import OperatorCommands
from guichet_common.privacy.keyring import Opener
from guichet_intake.person_requests import IntakePrivacyRequests
from guichet_intake.service import DEVELOPMENT_MASTER

from .fakes import FakeIntakeUnitOfWork, opened
from .test_claims_submitted import CLAIM_ID, EXAMPLE, PREFIX, apply, event, malformed, outbox
from .test_erasure_follower import FOLLOWER, erased

NOW = dt.datetime(2024, 3, 2, tzinfo=dt.UTC)
OTHER = "CFN-2021-0000456"


def commands() -> OperatorCommands:
    privacy = IntakePrivacyRequests(DEVELOPMENT_MASTER, Opener(DEVELOPMENT_MASTER), PREFIX)
    return OperatorCommands("intake", lambda uow: None, PREFIX, privacy=privacy, clock=lambda: NOW)


def command(action: str, claim_ids: list[str], **more: Any) -> OperatorCommandV1:
    return OperatorCommandV1.model_validate_json(
        json.dumps(
            {
                "event_id": str(uuid.uuid4()),
                "occurred_at": "2024-03-02T00:00:00Z",
                "service": "intake",
                "action": action,
                "target": claim_ids[0],
                "requested_by": "agent.dupont",
                "reason": "demande de la personne, article 15",
                "claim_ids": claim_ids,
                **more,
            }
        )
    )


async def answer(uow: FakeIntakeUnitOfWork, request: OperatorCommandV1) -> dict[str, Any]:
    """The command applied; its outcome (and what it queued goes to `uow.committed`)."""
    published = await commands().apply(uow, [request])
    uow.publish(published)
    await uow.commit()
    [outcome] = outbox(uow, "operations.command-outcomes.v1")[-1:]
    return outcome


async def registered(*claims: dict[str, Any]) -> FakeIntakeUnitOfWork:
    uow = FakeIntakeUnitOfWork()
    await apply(uow, *(claims or (event(),)))
    uow.committed.clear()
    return uow


async def test_an_export_opens_intakes_copy_and_names_nobody_else() -> None:
    uow = await registered(event(), event(claim_id=OTHER))
    await apply(uow, malformed(claim_id="CFN-2021-0000999"))
    outcome = await answer(uow, command("privacy_export", [CLAIM_ID]))
    assert outcome["outcome"] == "applied"
    [response] = outbox(uow, "privacy.access-responses.v1")
    [record] = response["records"]
    assert (record["store"], record["claim_id"]) == ("table claims", CLAIM_ID)
    assert record["fields"]["claim"]["contact"]["email"] == EXAMPLE["claim"]["contact"]["email"]
    assert record["fields"]["claim"]["bank_account"]["iban"] == "FR7693233145437431125912957"
    assert OTHER not in json.dumps(response)


async def test_an_export_dates_what_was_erased() -> None:
    uow = await registered()
    await FOLLOWER.follow(uow, [erased("contact")])
    await answer(uow, command("privacy_export", [CLAIM_ID]))
    [response] = outbox(uow, "privacy.access-responses.v1")
    claim = response["records"][0]["fields"]["claim"]
    assert claim["contact"]["email"] == {"erased_on": "2024-03-01"}
    assert claim["bank_account"]["holder_name"] == EXAMPLE["claim"]["bank_account"]["holder_name"]


async def test_a_rectified_contact_is_sealed_with_the_claims_key_and_announced_again() -> None:
    uow = await registered()
    outcome = await answer(uow, command("privacy_rectify", [CLAIM_ID], rectification={"email": "Nouvel@Example.org"}))
    assert outcome["outcome"] == "applied"
    [contact] = outbox(uow, "intake.applicant-contacts.v1")
    assert await opened(uow, contact["email"]) == "Nouvel@example.org"
    assert await opened(uow, contact["full_name"]) == EXAMPLE["claim"]["contact"]["full_name"]
    assert contact["iban_last4"] == "2957"
    assert contact["rectification_id"] == contact["correlation_id"]  # notifications replaces the contact it keeps
    assert outbox(uow, "privacy.claim-keys.v1") == []  # the same key: what was sealed before still opens
    stored = uow.claims.registered[CLAIM_ID].payload["contact"]
    assert await opened(uow, stored["email"]) == "Nouvel@example.org"


async def test_a_rectification_is_refused_for_an_unknown_claim_an_erased_contact_or_a_bad_value() -> None:
    uow = await registered()
    unknown = await answer(uow, command("privacy_rectify", [OTHER], rectification={"full_name": "Jeanne Martin"}))
    assert (unknown["outcome"], unknown["detail"].split(":")[0]) == ("refused", "RECTIFICATION_REFUSED_UNKNOWN_CLAIM")
    bad = await answer(uow, command("privacy_rectify", [CLAIM_ID], rectification={"email": "pas une adresse"}))
    assert bad["detail"].startswith("RECTIFICATION_REFUSED_INVALID")
    await FOLLOWER.follow(uow, [erased("contact")])
    gone = await answer(uow, command("privacy_rectify", [CLAIM_ID], rectification={"phone": "+33 6 12 34 56 78"}))
    assert gone["detail"].startswith("RECTIFICATION_REFUSED_ERASED")
    assert outbox(uow, "intake.applicant-contacts.v1") == []


async def test_an_erasure_is_notifications_to_decide() -> None:
    uow = await registered()
    outcome = await answer(uow, command("privacy_erase", [CLAIM_ID]))
    assert outcome["outcome"] == "refused" and "notifications" in outcome["detail"]
