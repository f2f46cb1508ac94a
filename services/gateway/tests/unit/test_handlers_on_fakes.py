"""The gateway's subscribed handlers on the fake unit of work: the statuses' (`on_statuses`, which keeps each
status as published and publishes nothing), the back-office's commands (`OperatorCommands.apply`), whose release
of a failed webhook delivery is one person's decision, sent to the gateway's own targets, and intake's erasures
(`on_erasures`, announced again as the gateway's)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from guichet_common.clock import fixed_clock
from guichet_common.contracts import ClaimStatusV1
from guichet_common.contracts.backoffice import CommandOutcomeV1, OperatorCommandV1
from guichet_common.contracts.privacy import PrivacyErasedV1
from guichet_common.operator_commands import Identity, OperatorCommands
from guichet_common.outbox import OutboxMessage
from guichet_common.set_aside import Decision
from guichet_common.unit_of_work import FakeUnitOfWork
from guichet_gateway import operators
from guichet_gateway.privacy.wiring import erasure_follower
from guichet_gateway.webhooks import wiring
from guichet_gateway.webhooks.domain import StatusToKeep

from .fakes import FakeGatewayWork

T0 = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)


class KeptStatuses:
    def __init__(self) -> None:
        self.kept: list[StatusToKeep] = []

    async def keep_statuses(self, statuses: Sequence[StatusToKeep], now: dt.datetime) -> tuple[int, int]:
        self.kept += statuses
        return len(statuses), 0


class StatusesUow(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.webhooks = KeptStatuses()


def claim_status(claim_id: str, status: str, **fields: Any) -> ClaimStatusV1:
    values = {"event_id": uuid.uuid4(), "occurred_at": T0, "claim_id": claim_id, "programme": "cfn-2021"}
    return ClaimStatusV1.model_validate(values | {"status": status, "reasons": [], **fields})


async def test_on_statuses_keeps_each_status_as_published_in_order_and_publishes_nothing(monkeypatch) -> None:
    monkeypatch.setattr(wiring, "clock", lambda: T0)
    uow = StatusesUow()
    received = claim_status("CFN-A-00000001", "received", source="cci")
    refused = claim_status("CFN-A-00000001", "refused", reasons=["SIREN_INVALID"], source="cci")
    published = await wiring.on_statuses(uow, [received, refused])
    assert list(published) == []
    assert [(k.event_id, k.status) for k in uow.webhooks.kept] == [
        (received.event_id, "received"),
        (refused.event_id, "refused"),
    ]
    # The webhook body is the event as it was published: what the receiver verifies is what the topic carried.
    assert uow.webhooks.kept[1].payload == refused.model_dump(mode="json")


class HeldDeliveries:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.held = {("webhook_delivery", "7")}
        self.decisions: list[tuple[str, str, Decision, Identity]] = []

    async def decide_set_aside(
        self, kind: str, item_id: str, decision: Decision, who: Identity, assign_to: str | None = None
    ) -> str | None:
        self.held.discard((kind, item_id))
        self.decisions.append((kind, item_id, decision, who))
        return "redelivery queued"


@pytest.mark.parametrize("action, decision", [("set_aside_release", "released"), ("set_aside_cancel", "cancelled")])
async def test_a_failed_delivery_is_released_or_cancelled_by_one_person(action: str, decision: str) -> None:
    assert "webhook_delivery" in operators.SET_ASIDE_KINDS
    targets: dict[str, HeldDeliveries] = {}

    def gateway_targets(uow: FakeUnitOfWork) -> HeldDeliveries:
        return targets.setdefault("gateway", HeldDeliveries(uow))

    commands = OperatorCommands("gateway", gateway_targets, "t.")
    command = OperatorCommandV1.model_validate(
        {
            "event_id": uuid.uuid4(),
            "occurred_at": T0,
            "service": "gateway",
            "action": action,
            "kind": "webhook_delivery",
            "target": "7",
            "requested_by": "alice",
            "reason": "the portal's receiver is back",
        }
    )
    uow = FakeUnitOfWork()
    outcomes = [CommandOutcomeV1.model_validate_json(m.value) for m in await commands.apply(uow, [command])]
    assert [o.outcome for o in outcomes] == ["applied"]
    assert targets["gateway"].decisions == [
        ("webhook_delivery", "7", decision, Identity("alice", None, command.reason))
    ]


async def test_on_erasures_follows_intakes_erasure_of_a_gateway_claim_at_the_settings_clock() -> None:
    uow = FakeGatewayWork()
    uow.gateway.programmes["CFN-A-00000001"] = "cfn-2021"
    on_erasures = erasure_follower("t.", fixed_clock(T0), lambda digest: digest)
    erased = {"event_id": uuid.uuid4(), "occurred_at": T0, "claim_id": "CFN-A-00000001", "kind": "bank"}
    erased |= {"service": "intake", "reason": "retention", "erased_at": T0}

    published = await on_erasures(uow, [PrivacyErasedV1.model_validate(erased)])

    [announcement] = [PrivacyErasedV1.model_validate_json(m.value) for m in published if isinstance(m, OutboxMessage)]
    assert (announcement.service, announcement.kind, announcement.erased_at) == ("gateway", "bank", T0)
