"""What a service's operator commands act on, for real: its dead letters (read from the broker, their actions
recorded in its database) and its set-aside items (decided by its operators module), in the unit of work's
transaction. `operator_commands_for` builds a service's use case with them; `accept_operator_commands` wires it."""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Protocol

import asyncpg

from guichet_common import dead_letter_actions, set_aside_decisions
from guichet_common.contracts.backoffice import CommandOutcomeV1, OperatorCommandV1, SetAsideV1
from guichet_common.dead_letter_actions import DeadLetter, DeadLetterId
from guichet_common.dead_letter_reader import KafkaDeadLetters
from guichet_common.kafka_security import client_options
from guichet_common.operator_commands import CommandRefused, Identity, OperatorCommands
from guichet_common.privacy.requests import PrivacyRequests
from guichet_common.runtime import Wiring
from guichet_common.set_aside import Announcer, Decision
from guichet_common.set_aside_decisions import Owner, owners
from guichet_common.settings import CommonSettings
from guichet_common.topics import COMMAND_OUTCOMES, OPERATOR_COMMANDS, SET_ASIDE_ITEMS
from guichet_common.unit_of_work import PostgresUnitOfWork


class DeadLetterReader(Protocol):
    async def read(self, dead_letter_id: DeadLetterId) -> DeadLetter | None: ...


class PostgresCommandTargets:
    """The service's dead letters and set-aside items on the unit of work's connection."""

    def __init__(
        self,
        connection: asyncpg.Connection,
        kinds: Mapping[str, Owner],
        dead_letters: DeadLetterReader,
        announcer: Announcer,
    ) -> None:
        self._conn = connection
        self._kinds = kinds
        self._dead_letters = dead_letters
        self._announcer = announcer

    async def dead_letter(self, dead_letter_id: DeadLetterId) -> DeadLetter | None:
        return await self._dead_letters.read(dead_letter_id)

    async def replay_dead_letter(self, dead: DeadLetter, who: Identity) -> None:
        await dead_letter_actions.replay_dead_letter(
            self._conn, dead, who.requested_by, who.reason, seconded_by=who.seconded_by
        )

    async def discard_dead_letter(self, dead_letter_id: DeadLetterId, who: Identity) -> None:
        await dead_letter_actions.discard(
            self._conn, dead_letter_id, who.requested_by, who.reason, seconded_by=who.seconded_by
        )

    async def decide_set_aside(
        self, kind: str, item_id: str, decision: Decision, who: Identity, assign_to: str | None = None
    ) -> str | None:
        owner = self._kinds.get(kind)
        if owner is None:
            known = ", ".join(sorted(self._kinds))
            raise CommandRefused(f"{self._announcer.service} ne décide pas d'éléments de type {kind!r} ({known})")
        decided = await set_aside_decisions.decide(
            self._conn,
            owner,
            kind,
            item_id,
            decision,
            who.requested_by,
            who.reason,
            announcer=self._announcer,
            seconded_by=who.seconded_by,
            assign_to=assign_to,
        )
        return decided.effect


def operator_commands_for(
    service: str,
    settings: CommonSettings,
    operators: ModuleType,
    dead_letters: DeadLetterReader | None = None,
    privacy: PrivacyRequests | None = None,
) -> OperatorCommands:
    """The use case of `service`'s command topic: the kinds its `operators` module decides (and stuck outbox rows),
    its dead letters read with its own Kafka client options (or `dead_letters`, in tests)."""
    kinds = owners({service: operators})
    reader = dead_letters or KafkaDeadLetters(settings.kafka_bootstrap_servers, client_options(settings))
    announcer = Announcer(service, settings.topic_prefix)

    def targets(uow: PostgresUnitOfWork) -> PostgresCommandTargets:
        return PostgresCommandTargets(uow.connection, kinds, reader, announcer)

    return OperatorCommands(service, targets, settings.topic_prefix, privacy=privacy, clock=settings.clock())


def accept_operator_commands(wiring: Wiring, operators: ModuleType, privacy: PrivacyRequests | None = None) -> None:
    """Subscribe the service to its own command topic (backoffice.<service>-commands.v1), and declare what it answers
    with: the outcome of each command, and its set-aside items (announced by its units of work)."""
    commands = operator_commands_for(wiring.name, wiring.settings, operators, privacy=privacy)
    wiring.subscribe(
        OPERATOR_COMMANDS[wiring.name].name,
        OperatorCommandV1,
        commands.apply,
        description="The back-office's commands: dead letters replayed or discarded, set-aside items decided",
    )
    wiring.publishes(COMMAND_OUTCOMES.name, CommandOutcomeV1, "What became of each back-office command")
    wiring.publishes(SET_ASIDE_ITEMS.name, SetAsideV1, "Items set aside by a job, and operators' decisions on them")
