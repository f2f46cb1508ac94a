"""The typed subscription every handler goes through: decode, inbox, use case, outbox, commit.

`Subscription.apply` is one batch's work on a unit of work:
1. each record is decoded (`contract(Model)` by default); one that does not decode becomes a dead letter with why;
2. the inbox keeps the events never applied before, once each even if a batch carries two copies;
3. the use case `(uow, messages) -> what to publish` runs on them; it may hand a message back as `DeadLetter`;
4. dead letters and events are queued on the outbox, and the unit of work commits.

The batch consumer (`guichet_common.consumer`) calls it in one transaction per batch and splits a batch that fails.
A use case is unit-tested with `FakeUnitOfWork`, through `apply` or directly.
"""

from __future__ import annotations

import operator
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

import structlog
from pydantic import BaseModel, ValidationError

from guichet_common.outbox import OutboxMessage
from guichet_common.records import InboundRecord, Unreadable, dead_letter, describe_validation_error, read_json_object
from guichet_common.unit_of_work import UnitOfWork

M = TypeVar("M")
U = TypeVar("U", bound=UnitOfWork)
E = TypeVar("E", bound=BaseModel)
log = structlog.get_logger()


class Undecodable(Unreadable):
    """A record that does not fit what its topic carries: it goes to the dead-letter topic with this reason."""


@dataclass(frozen=True)
class DeadLetter(Generic[M]):
    """What a use case returns for a message it cannot apply: the message's record goes to the dead letters."""

    message: M
    reason: str


Published = OutboxMessage | DeadLetter[Any]
UseCase = Callable[[U, Sequence[M]], Awaitable[Sequence[Published]]]
Decoder = Callable[[InboundRecord], M | None]  # None: nothing to do for this record (no inbox row either)


def contract(model: type[E]) -> Callable[[InboundRecord], E]:
    """The default decoder: a JSON object that fits the contract `model`."""

    def decode(record: InboundRecord) -> E:
        read_json_object(record)  # size, encoding, depth: refused with a reason before pydantic sees it
        try:
            return model.model_validate_json(record.value or b"")
        except ValidationError as error:
            raise Undecodable("schema: " + "; ".join(describe_validation_error(error))) from None

    return decode


@dataclass(frozen=True)
class Subscription(Generic[U, M]):
    """How one topic's records become a use case's messages. `event_id` names each message for the inbox; None
    when the use case is idempotent by content and keeps no inbox rows (the registry feed, contacts)."""

    use_case: UseCase[U, M]
    decode: Decoder[M]
    event_id: Callable[[M], UUID] | None = operator.attrgetter("event_id")
    # None: the service owns the topic and dead-letters what it cannot use. A kind: the service only reads a topic
    # another service owns (whose dead letters are the owner's to write), and sets such a record aside under it.
    set_aside_kind: str | None = None

    async def apply(self, uow: U, records: Sequence[InboundRecord]) -> None:
        """One batch on `uow`: decode, keep what is new, run the use case, queue what it publishes, commit."""
        decoded: list[tuple[InboundRecord, M]] = []
        unusable: list[tuple[InboundRecord, str]] = []
        for record in records:
            try:
                message = self.decode(record)
            except Unreadable as error:
                unusable.append((record, str(error)))
                continue
            if message is not None:
                decoded.append((record, message))
        new = await self._new(uow, records, decoded)
        published = await self.use_case(uow, [message for _, message in new]) if new else []
        record_of = {id(message): record for record, message in new}
        if self.set_aside_kind is None:
            uow.publish(dead_letter(record, reason) for record, reason in unusable)
            uow.publish(
                dead_letter(record_of[id(item.message)], item.reason) if isinstance(item, DeadLetter) else item
                for item in published
            )
        else:
            unusable += [(record_of[id(i.message)], i.reason) for i in published if isinstance(i, DeadLetter)]
            for record, reason in unusable:
                await set_aside_record(uow, self.set_aside_kind, record, reason)
            uow.publish(item for item in published if not isinstance(item, DeadLetter))
        await uow.commit()

    async def _new(
        self, uow: U, records: Sequence[InboundRecord], decoded: list[tuple[InboundRecord, M]]
    ) -> list[tuple[InboundRecord, M]]:
        if self.event_id is None or not decoded:
            return decoded
        event_id = self.event_id
        fresh = await uow.inbox.first_sightings(records[0].topic, [event_id(message) for _, message in decoded])
        new = []
        for record, message in decoded:
            if event_id(message) in fresh:
                fresh.discard(event_id(message))  # a second copy in the same batch is a duplicate too
                new.append((record, message))
            else:
                log.info("event_duplicate_ignored", event_id=str(event_id(message)), coordinates=record.coordinates)
        return new


async def set_aside_record(uow: UnitOfWork, kind: str, record: InboundRecord, reason: str) -> None:
    """Hold a record of a topic the service reads but does not own, by its coordinates: counted with the other
    set-aside items (`/metrics`, `guichet status`), logged once, and never written to the owner's dead letters."""
    if await uow.set_aside(kind, record.coordinates, reason):
        log.error("record_set_aside", kind=kind, coordinates=record.coordinates)
