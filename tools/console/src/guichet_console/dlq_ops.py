"""What `guichet dlq list|show` read: dead letters from Kafka, and what operators did with them from the owners'
databases (`guichet_common.dead_letter_actions` holds the SQL). Replays and discards are decisions taken through
the back-office (`guichet_console.dlq`), which the owners apply."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import asyncpg

from guichet_common.topics import original_topic, owner_of
from guichet_console import dead_letters
from guichet_console.connect import Stack
from guichet_console.dead_letters import DeadLetter, DeadLetterAction, DeadLetterId
from guichet_console.kafka_view import dead_letter_topics, kafka_view

UNREACHABLE = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class DeadLetterNotFound(Exception):
    pass


@dataclass(frozen=True)
class Listed:
    dead: DeadLetter
    action: DeadLetterAction | None
    known: bool  # False when the owner's database could not be read: the state is unknown


def owner(stack: Stack, dead_letter_id: DeadLetterId) -> str:
    return owner_of(dead_letter_id.topic.removeprefix(stack.topic_prefix))


async def list_dead_letters(stack: Stack, original_topic: str | None = None) -> list[Listed]:
    """Every dead letter of the deployment (or of one original topic, unprefixed), oldest first per topic."""
    topics = [t for t in dead_letter_topics(stack.topic_prefix) if original_topic in (None, _original(stack, t))]
    async with kafka_view(stack.kafka_bootstrap) as view:
        found = await view.read_all(topics)
    actions = await _actions_by_owner(stack, {owner(stack, d.id) for d in found})
    return [_listed(d, actions[owner(stack, d.id)]) for d in found]


def _listed(dead: DeadLetter, actions: Mapping[DeadLetterId, DeadLetterAction] | None) -> Listed:
    return Listed(dead, None if actions is None else actions.get(dead.id), known=actions is not None)


async def find(stack: Stack, dead_letter_id: DeadLetterId) -> Listed:
    dead = await _read(stack, dead_letter_id)
    service = owner(stack, dead_letter_id)
    return _listed(dead, (await _actions_by_owner(stack, {service}))[service])


async def _read(stack: Stack, dead_letter_id: DeadLetterId) -> DeadLetter:
    async with kafka_view(stack.kafka_bootstrap) as view:
        dead = await view.read_one(dead_letter_id)
    if dead is None:
        raise DeadLetterNotFound(f"no dead letter at {dead_letter_id}")
    return dead


async def _actions_by_owner(stack: Stack, services: set[str]) -> dict[str, dict[DeadLetterId, DeadLetterAction] | None]:
    """Per owning service, its recorded actions by dead letter; None for a service whose database is away."""

    async def of(service: str) -> dict[DeadLetterId, DeadLetterAction] | None:
        topics = [t for t in dead_letter_topics(stack.topic_prefix) if owner_of(_original(stack, t)) == service]
        try:
            async with stack.connection(service) as conn:
                return {a.id: a for a in await dead_letters.recorded_actions(conn, topics)}
        except UNREACHABLE:
            return None

    names: Sequence[str] = sorted(services)
    return dict(zip(names, await asyncio.gather(*(of(name) for name in names))))


def _original(stack: Stack, dlq_topic: str) -> str:
    return original_topic(dlq_topic.removeprefix(stack.topic_prefix))
