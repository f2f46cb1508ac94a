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

    async def apply(self, uow: U, records: Sequence[InboundRecord]) -> None:
        """One batch on `uow`: decode, keep what is new, run the use case, queue what it publishes, commit."""
        decoded: list[tuple[InboundRecord, M]] = []
        dead: list[OutboxMessage] = []
        for record in records:
            try:
                message = self.decode(record)
            except Unreadable as error:
                dead.append(dead_letter(record, str(error)))
                continue
            if message is not None:
                decoded.append((record, message))
        new = await self._new(uow, records, decoded)
        published = await self.use_case(uow, [message for _, message in new]) if new else []
        record_of = {id(message): record for record, message in new}
        uow.publish(dead)
        uow.publish(
            dead_letter(record_of[id(item.message)], item.reason) if isinstance(item, DeadLetter) else item
            for item in published
        )
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
