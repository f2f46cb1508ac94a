"""The back-office's control decisions (`backoffice.control-decisions.v1`), each answered on
`operations.command-outcomes.v1`: `applied` with what it did, or `refused` with why (never a dead letter), as
`guichet_common.operator_commands` answers the other commands. Twice received, applied once: the inbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from guichet_common.contracts.controls import ControlDecisionV1
from guichet_common.logging import mask_text
from guichet_common.operator_commands import REFUSALS, command_outcome
from guichet_common.outbox import OutboxMessage
from guichet_common.pipeline import Published
from guichet_payments.controls.service import ControlsService
from guichet_payments.unit_of_work import PaymentsWork

log = structlog.get_logger()
SERVICE = "payments"


@dataclass(frozen=True)
class ControlCommands:
    controls: ControlsService
    topic_prefix: str = ""

    async def apply(self, uow: PaymentsWork, decisions: Sequence[ControlDecisionV1]) -> list[Published]:
        """Apply each decision in a savepoint of its own (a refused one leaves nothing behind) and answer each."""
        return [await self._answer(uow, decision) for decision in decisions]

    async def _answer(self, uow: PaymentsWork, decision: ControlDecisionV1) -> OutboxMessage:
        bound = {"command_id": str(decision.event_id), "action": decision.action, "claim_id": decision.claim_id}
        queued = len(uow.published)
        try:
            async with uow.savepoint():
                if decision.action == "open_campaign":
                    detail, messages = await self.controls.open_campaign(uow, decision)
                else:
                    detail, messages = await self.controls.record_outcome(uow, decision)
                uow.publish(messages)
        except REFUSALS as refusal:
            del uow.published[queued:]  # what the refused decision queued goes with its savepoint
            log.info("control_decision_refused", **bound, reason=mask_text(str(refusal))[:200])
            return command_outcome(self.topic_prefix, SERVICE, decision.event_id, "refused", str(refusal))
        log.info("control_decision_applied", **bound)
        return command_outcome(self.topic_prefix, SERVICE, decision.event_id, "applied", detail)
