"""A person's requests as notifications applies them, through its command topic on the fake unit of work: an
erasure is decided on the claim's latest status and every decision recorded (a refusal too, with its code); a
granted one erases both kinds now and announces them with the request; an export lists every row held."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from guichet_common.contracts.backoffice import CommandOutcomeV1, OperatorCommandV1
from guichet_common.contracts.privacy import AccessResponseV1, PrivacyErasedV1
from guichet_common.records import InboundRecord
from guichet_common.topics import OPERATOR_COMMANDS
from guichet_notifications.handlers import CommandHandlers

from .fakes import NOW, FakeNotificationsUnitOfWork, subscriptions
from .test_retention_clock import SUBSCRIPTIONS, claim, fresh_subscriptions  # noqa: F401  (an autouse fixture)

COMMANDS = OPERATOR_COMMANDS["notifications"].name


def request(action: str, *claim_ids: str, service: str = "notifications") -> OperatorCommandV1:
    return OperatorCommandV1.model_validate(
        {
            "event_id": uuid.uuid4(),
            "occurred_at": NOW,
            "service": service,
            "action": action,
            "target": "request",
            "requested_by": "dpo",
            "reason": "article 17, courrier du 2 janvier",
            "claim_ids": list(claim_ids),
        },
        strict=False,
    )


async def send(uow: FakeNotificationsUnitOfWork, command: OperatorCommandV1) -> CommandOutcomeV1:
    record = InboundRecord(COMMANDS, 0, 0, b"request", command.model_dump_json().encode())
    await SUBSCRIPTIONS[COMMANDS].apply(uow, [record])
    [outcome] = [
        CommandOutcomeV1.model_validate_json(m.value)
        for m in uow.committed
        if m.topic.endswith("command-outcomes.v1")
        and CommandOutcomeV1.model_validate_json(m.value).command_id == command.event_id
    ]
    return outcome


def of_topic(uow: FakeNotificationsUnitOfWork, suffix: str) -> list[Any]:
    return [m for m in uow.committed if m.topic.endswith(suffix)]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("under_review", "ERASURE_REFUSED_UNDER_REVIEW"),
        ("under_control", "ERASURE_REFUSED_UNDER_CONTROL"),
        ("recovery_ordered", "ERASURE_REFUSED_UNDER_CONTROL"),  # an order not yet repaid: said in its own words
    ],
)
async def test_an_erasure_is_refused_while_the_claim_is_under_review_or_control_and_the_refusal_is_recorded(
    status: str, code: str
) -> None:
    uow = FakeNotificationsUnitOfWork()
    await claim(uow, "C-1", ("received", NOW), (status, NOW))
    command = request("privacy_erase", "C-1")
    outcome = await send(uow, command)
    assert outcome.outcome == "refused" and outcome.detail.startswith(f"{code} : C-1 : ")
    [row] = await uow.privacy_requests.held(["C-1"])
    assert (row["request_id"], row["decision"], row["code"], row["requested_by"]) == (
        command.event_id,
        "refused",
        code,
        "dpo",
    )
    assert uow.contacts.by_claim["C-1"].email == "claire@example.fr" and of_topic(uow, "privacy.erased.v1") == []


async def test_a_granted_erasure_erases_both_kinds_now_and_announces_them_with_the_request() -> None:
    uow = FakeNotificationsUnitOfWork()
    await claim(uow, "C-1", ("received", NOW), ("rejected", NOW))
    command = request("privacy_erase", "C-1")
    assert (await send(uow, command)).outcome == "applied"
    assert uow.contacts.by_claim["C-1"].email is None and uow.contacts.by_claim["C-1"].iban_last4 is None
    erased = [PrivacyErasedV1.model_validate_json(m.value) for m in of_topic(uow, "privacy.erased.v1")]
    assert sorted((e.kind, e.reason, e.request_id, e.requested_by) for e in erased) == [
        ("bank", "request", command.event_id, "dpo"),
        ("contact", "request", command.event_id, "dpo"),
    ]
    assert {k for k, state in uow.keys.keys.items() if state.wrapped is None} == {("C-1", "contact"), ("C-1", "bank")}
    [row] = await uow.privacy_requests.held(["C-1"])
    assert row["decision"] == "accepted"
    # Asked again (another request): granted, nothing new to erase or announce.
    assert (await send(uow, request("privacy_erase", "C-1"))).outcome == "applied"
    assert len(of_topic(uow, "privacy.erased.v1")) == 2


async def test_a_request_with_one_claim_not_settled_is_refused_whole() -> None:
    uow = FakeNotificationsUnitOfWork()
    await claim(uow, "C-1", ("rejected", NOW))
    await claim(uow, "C-2", ("payment_scheduled", NOW))
    outcome = await send(uow, request("privacy_erase", "C-1", "C-2"))
    assert outcome.outcome == "refused" and outcome.detail.startswith("ERASURE_REFUSED_PAYMENT_IN_PROGRESS : C-2")
    assert uow.contacts.by_claim["C-1"].email == "claire@example.fr"


async def test_an_export_lists_every_row_held_and_reads_erased_fields_as_their_date() -> None:
    uow = FakeNotificationsUnitOfWork()
    await claim(uow, "C-1", ("rejected", NOW))
    await claim(uow, "C-2", ("rejected", NOW))
    command = request("privacy_export", "C-1")
    assert (await send(uow, command)).outcome == "applied"
    [answer] = of_topic(uow, "privacy.access-responses.v1")
    response = AccessResponseV1.model_validate_json(answer.value)
    stores = {r.store: r.fields for r in response.records}
    assert stores["table contacts"]["email"] == "claire@example.fr" and "table emails" in stores
    assert stores["table claim_statuses"]["status"] == "rejected"
    assert {r.claim_id for r in response.records} == {"C-1"}  # nothing about anyone else
    await send(uow, request("privacy_erase", "C-1"))
    uow.committed.clear()
    await send(uow, request("privacy_export", "C-1"))
    [answer] = of_topic(uow, "privacy.access-responses.v1")
    contact = next(r for r in AccessResponseV1.model_validate_json(answer.value).records if r.store == "table contacts")
    today = dt.datetime.now(dt.UTC).date().isoformat()  # the handlers' clock: the settings' (wall) clock
    assert contact.fields["email"] == contact.fields["full_name"] == {"erased_on": today}


async def test_a_rectification_is_not_notifications_to_apply() -> None:
    uow = FakeNotificationsUnitOfWork()
    outcome = await send(uow, request("privacy_rectify", "C-1"))
    assert outcome.outcome == "refused" and "intake" in outcome.detail


def test_the_command_handler_is_the_one_register_handlers_subscribes() -> None:
    assert subscriptions()[COMMANDS].use_case.__func__ is CommandHandlers.apply_commands  # type: ignore[attr-defined]
