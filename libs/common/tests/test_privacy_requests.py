"""A person's requests as a service's command topic applies them: an export is always answered (empty where the
service holds nothing), an erasure or a rectification only by a service that applies it, and a refusal leaves
nothing behind but its outcome."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from guichet_common.contracts.backoffice import CommandOutcomeV1, OperatorCommandV1
from guichet_common.contracts.privacy import AccessResponseV1, HeldRecordV1, PrivacyErasedV1
from guichet_common.operator_commands import CommandRefused, OperatorCommands
from guichet_common.outbox import OutboxMessage
from guichet_common.privacy.requests import erasure_announcement
from guichet_common.unit_of_work import FakeUnitOfWork

PREFIX = "t."
AT = dt.datetime(2029, 1, 2, tzinfo=dt.UTC)


def request(action: str, **fields: Any) -> OperatorCommandV1:
    values = {
        "event_id": uuid.uuid4(),
        "occurred_at": AT,
        "service": "notifications",
        "action": action,
        "target": "request",
        "requested_by": "dpo",
        "reason": "article 17, courrier du 2 janvier",
        "claim_ids": ["CFN-1"],
    }
    return OperatorCommandV1.model_validate(values | fields, strict=False)


class Privacy:
    def __init__(self) -> None:
        self.erased: list[tuple[str, dt.datetime]] = []

    async def export(self, uow: Any, command: OperatorCommandV1) -> Sequence[HeldRecordV1]:
        return [HeldRecordV1(store="table contacts", claim_id=c, fields={"email": "a@b.fr"}) for c in command.claim_ids]

    async def erase(self, uow: Any, command: OperatorCommandV1, now: dt.datetime) -> str:
        if "CFN-OPEN" in command.claim_ids:
            uow.publish([OutboxMessage("t.privacy.erased.v1", b"k", b"{}")])  # undone with the refusal
            raise CommandRefused("ERASURE_REFUSED_UNDER_REVIEW: la demande est en cours d'examen")
        self.erased += [(c, now) for c in command.claim_ids]
        return "effacé"

    async def rectify(self, uow: Any, command: OperatorCommandV1, now: dt.datetime) -> str:
        raise CommandRefused("not here")


async def apply(commands: OperatorCommands, *sent: OperatorCommandV1) -> tuple[list[Any], FakeUnitOfWork]:
    uow = FakeUnitOfWork()
    answered = await commands.apply(uow, sent)
    return [*answered, *uow.published], uow


def outcomes(messages: list[Any]) -> list[CommandOutcomeV1]:
    return [CommandOutcomeV1.model_validate_json(m.value) for m in messages if m.topic.endswith("command-outcomes.v1")]


async def test_an_export_is_answered_with_what_the_service_holds_and_nothing_else() -> None:
    sent = request("privacy_export")
    published, _ = await apply(OperatorCommands("notifications", lambda _: None, PREFIX, Privacy()), sent)
    [answer] = [m for m in published if m.topic == PREFIX + "privacy.access-responses.v1"]
    response = AccessResponseV1.model_validate_json(answer.value)
    assert (response.request_id, response.service, response.claim_ids) == (sent.event_id, "notifications", ["CFN-1"])
    assert [r.fields for r in response.records] == [{"email": "a@b.fr"}]
    # A service without personal data to show still answers, so that the export knows it is complete.
    published, _ = await apply(OperatorCommands("notifications", lambda _: None, PREFIX), sent)
    [empty] = [m for m in published if m.topic == PREFIX + "privacy.access-responses.v1"]
    assert AccessResponseV1.model_validate_json(empty.value).records == []


async def test_an_erasure_is_applied_by_the_service_that_decides_at_its_clock_and_refused_elsewhere() -> None:
    privacy = Privacy()
    deciding = OperatorCommands("notifications", lambda _: None, PREFIX, privacy, clock=lambda: AT)
    published, _ = await apply(deciding, request("privacy_erase"))
    assert [o.outcome for o in outcomes(published)] == ["applied"] and privacy.erased == [("CFN-1", AT)]
    published, _ = await apply(
        OperatorCommands("gateway", lambda _: None, PREFIX), request("privacy_erase", service="gateway")
    )
    [refused] = outcomes(published)
    assert refused.outcome == "refused" and "privacy_erase" in refused.detail


async def test_a_refused_erasure_leaves_only_its_outcome_with_the_reason_code() -> None:
    deciding = OperatorCommands("notifications", lambda _: None, PREFIX, Privacy(), clock=lambda: AT)
    published, _ = await apply(deciding, request("privacy_erase", claim_ids=["CFN-OPEN"]))
    [refused] = outcomes(published)
    assert refused.outcome == "refused" and refused.detail.startswith("ERASURE_REFUSED_UNDER_REVIEW")
    assert [m.topic for m in published] == [PREFIX + "operations.command-outcomes.v1"]


def test_an_erasure_is_announced_once_per_service_claim_and_kind_with_the_request_passed_on() -> None:
    asked = request("privacy_erase")
    first = erasure_announcement(
        PREFIX, "intake", claim_id="CFN-1", programme="p", kind="bank", erased_at=AT, request=asked
    )
    again = erasure_announcement(
        PREFIX, "intake", claim_id="CFN-1", programme="p", kind="bank", erased_at=AT, request=asked
    )
    event = PrivacyErasedV1.model_validate_json(first.value)
    assert event.event_id == PrivacyErasedV1.model_validate_json(again.value).event_id
    assert (event.reason, event.request_id, event.requested_by) == ("request", asked.event_id, "dpo")
    follower = erasure_announcement(
        PREFIX,
        "payments",
        claim_id="CFN-1",
        programme="p",
        kind="bank",
        erased_at=AT,
        request_id=event.request_id,
        requested_by=event.requested_by,
        legal_reason=event.legal_reason,
    )
    passed_on = PrivacyErasedV1.model_validate_json(follower.value)
    assert passed_on.event_id != event.event_id and passed_on.request_id == asked.event_id
    assert first.topic == PREFIX + "privacy.erased.v1" and first.key == b"CFN-1"
