"""The back-office's commands to a service (`backoffice.<service>-commands.v1`, OperatorCommandV1), applied by the
service that owns their target, and what it answers (`operations.command-outcomes.v1`, CommandOutcomeV1).

The back-office records who asked and why, and sends a command once it is complete; the owning service applies it
through its inbox (the command's `event_id`: twice received, applied once) in its own transaction, exactly as the
console's `guichet dlq` and `guichet set-aside` do, and announces the outcome. A command that cannot be applied for
a reason of its own (addressed to another service, a dead letter already replayed, an item no longer held, a second
person missing) is refused: an outcome says so, and it is not a dead letter. Four eyes are the back-office's rule;
the owner checks them again (a replayed dead letter, a released blocked payment), as a defence in depth.

The use case works on `CommandTargets`: the service's dead letters and set-aside items in the unit of work's
transaction (`operator_command_targets.PostgresCommandTargets`, or a fake in unit tests).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import structlog

from guichet_common.clock import Clock, wall_clock
from guichet_common.contracts.backoffice import COMMAND_OUTCOMES_TOPIC, CommandOutcomeV1, OperatorCommandV1
from guichet_common.dead_letter_actions import DeadLetter, DeadLetterAlreadyHandled, DeadLetterId, NotReplayable
from guichet_common.logging import mask_text
from guichet_common.outbox import OutboxMessage
from guichet_common.pipeline import Published
from guichet_common.privacy.requests import PrivacyRequests, access_response
from guichet_common.safe_text import printable
from guichet_common.set_aside import Decision
from guichet_common.topics import owner_of
from guichet_common.unit_of_work import UnitOfWork

log = structlog.get_logger()
# Set-aside kinds whose release needs a second person: releasing a blocked payment sends money.
FOUR_EYES_RELEASES = frozenset({"payment_attempt"})
DETAIL_MAX_LENGTH = 500
_OUTCOME_IDS = uuid.UUID("5c0f0d1e-8b7a-4f43-9a51-0f3c2b7f0a11")  # namespace: an outcome's id follows its command's


class CommandRefused(Exception):
    """The command cannot be applied, for a reason of its own: it is answered `refused` with this detail."""


# What the owners raise when a decision cannot be taken: their refusals are ValueErrors (SetAsideDecisionRefused,
# NotSetAsideHere, an operator missing), the dead letters' are their own.
REFUSALS: tuple[type[Exception], ...] = (CommandRefused, DeadLetterAlreadyHandled, NotReplayable, ValueError)


@dataclass(frozen=True)
class Identity:
    """Who asked (an account's login), who seconded under four eyes, and the written reason."""

    requested_by: str
    seconded_by: str | None
    reason: str


class CommandTargets(Protocol):
    """A service's dead letters and set-aside items, in the unit of work's transaction."""

    async def dead_letter(self, dead_letter_id: DeadLetterId) -> DeadLetter | None:
        """The dead letter as the broker holds it; None when there is none at those coordinates."""
        ...

    async def replay_dead_letter(self, dead: DeadLetter, who: Identity) -> None: ...

    async def discard_dead_letter(self, dead_letter_id: DeadLetterId, who: Identity) -> None: ...

    async def decide_set_aside(
        self, kind: str, item_id: str, decision: Decision, who: Identity, assign_to: str | None = None
    ) -> str | None:
        """Record, apply and announce the decision (a release to `assign_to`, for the kinds that take a target);
        returns what the owner did, in words."""
        ...


def command_outcome(
    topic_prefix: str, service: str, command_id: uuid.UUID, outcome: Literal["applied", "refused"], detail: str
) -> OutboxMessage:
    """The outcome of a command, keyed by the command's id (its own id derives from it: one outcome per command)."""
    event = CommandOutcomeV1.model_validate(
        {
            "event_id": uuid.uuid5(_OUTCOME_IDS, str(command_id)),
            "occurred_at": dt.datetime.now(dt.UTC),
            "command_id": command_id,
            "service": service,
            "outcome": outcome,
            "detail": printable(mask_text(detail), DETAIL_MAX_LENGTH),
        },
        strict=False,  # UUID objects: the strict mode is for JSON from outside
    )
    return OutboxMessage.of_event(topic_prefix + COMMAND_OUTCOMES_TOPIC, str(command_id), event)


def second_person_refusal(first: str, second: str | None) -> str | None:
    """Why four eyes are not met (None when they are): a second person, who is not the first."""
    if not second or not second.strip():
        return "quatre yeux requis : une seconde personne doit confirmer"
    if second.strip().casefold() == first.strip().casefold():
        return "quatre yeux requis : la seconde personne ne peut pas être celle qui demande"
    return None


@dataclass(frozen=True)
class OperatorCommands:
    """The use case of one service's command topic. `targets` gives the unit of work's dead letters and items;
    `privacy` applies a person's requests over their data (guichet_common.privacy.requests), when the service has
    any to apply; `clock` is what "now" is for them."""

    service: str
    targets: Callable[[Any], CommandTargets]
    topic_prefix: str = ""
    privacy: PrivacyRequests | None = None
    clock: Clock = wall_clock

    async def apply(self, uow: UnitOfWork, commands: Sequence[OperatorCommandV1]) -> list[Published]:
        """Apply each new command in a savepoint of its own (a refused one leaves nothing behind) and answer each
        with an outcome, published with the batch's commit."""
        targets = self.targets(uow)
        return [await self._answer(uow, targets, command) for command in commands]

    async def _answer(self, uow: UnitOfWork, targets: CommandTargets, command: OperatorCommandV1) -> OutboxMessage:
        bound = {"command_id": str(command.event_id), "action": command.action, "kind": command.kind}
        queued = len(uow.published)
        try:
            async with uow.savepoint():
                if command.action.startswith("privacy_"):
                    detail = await self._privacy(uow, command)
                else:
                    detail = await self._apply(targets, command)
        except REFUSALS as refusal:
            del uow.published[queued:]  # what the refused command queued goes with its savepoint
            log.info("operator_command_refused", **bound, reason=mask_text(str(refusal))[:200])
            return command_outcome(self.topic_prefix, self.service, command.event_id, "refused", str(refusal))
        log.info("operator_command_applied", **bound)
        return command_outcome(self.topic_prefix, self.service, command.event_id, "applied", detail)

    async def _apply(self, targets: CommandTargets, command: OperatorCommandV1) -> str:
        if command.service != self.service:
            raise CommandRefused(f"commande adressée à {command.service}, pas à {self.service}")
        who = Identity(command.requested_by, command.seconded_by, command.reason)
        if command.action in ("dead_letter_replay", "dead_letter_discard"):
            return await self._dead_letter(targets, command, who)
        if not command.kind:
            raise CommandRefused("le type de l'élément mis de côté manque (kind)")
        decision: Decision = "released" if command.action == "set_aside_release" else "cancelled"
        if decision == "released" and command.kind in FOUR_EYES_RELEASES:
            self._require_four_eyes(who)
        effect = await targets.decide_set_aside(command.kind, command.target, decision, who, command.assign_to)
        return effect or ("relâché" if decision == "released" else "annulé")

    async def _dead_letter(self, targets: CommandTargets, command: OperatorCommandV1, who: Identity) -> str:
        dead_letter_id = self._own_dead_letter(command.target)
        if command.action == "dead_letter_replay":
            self._require_four_eyes(who)
        dead = await targets.dead_letter(dead_letter_id)
        if dead is None:
            raise CommandRefused(f"aucune lettre morte en {dead_letter_id}")
        if command.action == "dead_letter_replay":
            await targets.replay_dead_letter(dead, who)
            return f"{dead_letter_id} rejouée"
        await targets.discard_dead_letter(dead_letter_id, who)
        return f"{dead_letter_id} écartée"

    async def _privacy(self, uow: UnitOfWork, command: OperatorCommandV1) -> str:
        if command.service != self.service:
            raise CommandRefused(f"commande adressée à {command.service}, pas à {self.service}")
        if command.action == "privacy_export":
            records = await self.privacy.export(uow, command) if self.privacy is not None else []
            uow.publish([access_response(self.topic_prefix, self.service, command, records)])
            return f"{len(records)} enregistrement(s) communiqué(s)"
        if self.privacy is None:
            raise CommandRefused(f"{self.service} n'applique pas cette demande ({command.action})")
        if command.action == "privacy_erase":
            return await self.privacy.erase(uow, command, self.clock())
        return await self.privacy.rectify(uow, command, self.clock())

    def _own_dead_letter(self, target: str) -> DeadLetterId:
        """The dead letter named by `target`, if it is one this service wrote (of a topic it owns, in its
        deployment)."""
        try:
            dead_letter_id = DeadLetterId.parse(target)
        except ValueError as error:
            raise CommandRefused(f"identifiant de lettre morte invalide : {error}") from None
        topic = dead_letter_id.topic
        try:
            owner = owner_of(topic.removeprefix(self.topic_prefix)) if topic.startswith(self.topic_prefix) else None
        except KeyError:
            owner = None
        if owner != self.service:
            raise CommandRefused(f"{topic} n'est pas une file de lettres mortes de {self.service}")
        return dead_letter_id

    @staticmethod
    def _require_four_eyes(who: Identity) -> None:
        if (refusal := second_person_refusal(who.requested_by, who.seconded_by)) is not None:
            raise CommandRefused(refusal)
