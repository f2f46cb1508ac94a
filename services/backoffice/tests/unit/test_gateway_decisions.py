"""The gateway sets aside the webhook deliveries it gave up on (kind `webhook_delivery`, issue 17): a supervisor's
release (a redelivery) or cancel goes at once, as a command on the gateway's own command topic."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace

import pytest

from guichet_backoffice import four_eyes
from guichet_backoffice.commands import command_for
from guichet_backoffice.four_eyes import Action
from guichet_common.contracts.backoffice import OperatorCommandV1

NOW = dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC)
DELIVERY = "8d0f8a52-5f1e-4c8e-9a34-0c1f5e2b7d11"


@pytest.mark.parametrize("action", [Action.SET_ASIDE_RELEASE, Action.SET_ASIDE_CANCEL])
def test_a_failed_webhook_delivery_is_decided_at_once_and_sent_to_the_gateway(action: Action) -> None:
    decision = four_eyes.request(
        id=uuid.uuid4(),
        action=action,
        service="gateway",
        target=DELIVERY,
        kind="webhook_delivery",
        codes=(),
        reason="Le portail a rétabli son point de réception",
        login="sam",
        role="supervisor",
        now=NOW,
    )
    assert decision.state == "complete", "a redelivery moves no money: no second person"

    message = command_for(replace(decision, command_id=uuid.uuid4()), "p.", NOW)

    assert message.topic == "p.backoffice.gateway-commands.v1"
    command = OperatorCommandV1.model_validate_json(message.value)
    assert (command.service, command.kind, command.target, command.action) == (
        "gateway",
        "webhook_delivery",
        DELIVERY,
        action.value,
    )
