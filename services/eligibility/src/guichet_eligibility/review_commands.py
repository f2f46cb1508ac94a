"""The back-office's review decisions (`backoffice.review-decisions.v1`, ReviewDecisionV1) applied by eligibility.

A person approved or rejected a claim sent to review; eligibility applies the decision through its own review use
case (`review.apply_review`: recorded, announced to the portal and payments) with the person's login and written
reason, once (the inbox keys on the decision's `event_id`), and answers on `operations.command-outcomes.v1`. A
decision that cannot be taken is refused, as an outcome: the claim is not under review or was decided already, or it
approves a claim a fraud signal sent to review without a second person (four eyes, which the back-office enforces
first; eligibility checks again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import structlog

from guichet_common.contracts.backoffice import ReviewDecisionV1
from guichet_common.operator_commands import command_outcome, second_person_refusal
from guichet_common.outbox import OutboxMessage
from guichet_common.pipeline import Published
from guichet_eligibility import domain
from guichet_eligibility.review import ReviewDecision, ReviewRefused, apply_review
from guichet_eligibility.unit_of_work import EligibilityWork
from guichet_programme import Programme

log = structlog.get_logger()
SERVICE = "eligibility"
# Rules whose failure suggests fraud rather than a mistake: approving such a claim takes two people.
FRAUD_SIGNALS = frozenset({"INVOICE_REUSED", "IBAN_SHARED"})
DECISIONS = {"approve": domain.APPROVED, "reject": domain.REJECTED}


class FourEyesRequired(ReviewRefused):
    """An approval despite a fraud signal, without a second person who is not the first."""


@dataclass(frozen=True)
class ReviewCommands:
    programmes: Mapping[str, Programme]
    topic_prefix: str = ""

    async def apply(self, uow: EligibilityWork, decisions: Sequence[ReviewDecisionV1]) -> list[Published]:
        """Apply each new decision in a savepoint of its own and answer each with an outcome."""
        return [await self._answer(uow, decision) for decision in decisions]

    async def _answer(self, uow: EligibilityWork, command: ReviewDecisionV1) -> OutboxMessage:
        queued = len(uow.published)
        try:
            async with uow.savepoint():
                await self._apply(uow, command)
        except ReviewRefused as refusal:
            del uow.published[queued:]  # what the refused decision queued goes with its savepoint
            log.info("review_decision_refused", claim_id=command.claim_id, command_id=str(command.event_id))
            return command_outcome(self.topic_prefix, SERVICE, command.event_id, "refused", str(refusal))
        detail = f"demande {command.claim_id} {'approuvée' if command.decision == 'approve' else 'rejetée'}"
        return command_outcome(self.topic_prefix, SERVICE, command.event_id, "applied", detail)

    async def _apply(self, uow: EligibilityWork, command: ReviewDecisionV1) -> None:
        four_eyes = second_person_refusal(command.decided_by, command.seconded_by)
        if command.seconded_by and four_eyes is not None:
            raise FourEyesRequired(four_eyes)  # a second person named, but the same one
        if command.decision == "approve" and four_eyes is not None:
            found = await uow.claims.with_decision(command.claim_id, lock=True)
            results = found.rule_results if found is not None else ()
            signals = sorted({r.get("code") for r in results if not r.get("passed", True)} & FRAUD_SIGNALS)
            if signals:
                raise FourEyesRequired(f"{four_eyes} (signal de fraude : {', '.join(signals)})")
        choice = ReviewDecision(
            command.claim_id, DECISIONS[command.decision], command.decided_by, command.reason, command.seconded_by
        )
        await apply_review(uow, self.programmes, choice, self.topic_prefix)
