"""The unit of work a use case runs on: one transaction holding the service's repositories, the inbox and the outbox.

A use case never sees a connection. It reads and writes through the repositories its service's unit of work
declares, asks the inbox which events are new, queues events to publish, and its caller commits explicitly: a unit
of work that is left without `commit()` rolls back (cosmicpython's shape). `FakeUnitOfWork` is the same surface in
memory, so that every use case is unit-tested without a database.

An item a job sets aside for the first time is announced on `operations.set-aside.v1` with the commit when the unit
of work has an `announcer` (the service's name and topic prefix): a service's wiring makes its units of work with
`announcing(...)`. Without one (the console, tools, most tests) nothing is announced.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Protocol, TypeVar, cast
from uuid import UUID

import asyncpg

from guichet_common.db import TRANSIENT_DB_ERRORS, PoolSlot
from guichet_common.inbox import first_sightings
from guichet_common.outbox import OutboxMessage, write_outbox
from guichet_common.privacy.erasures import Erasures, InMemoryErasures, PostgresErasures
from guichet_common.privacy.keyring import InMemoryKeyRing, KeyRing, PostgresKeyRing
from guichet_common.set_aside import Announcer, set_aside

T = TypeVar("T")
U = TypeVar("U", bound="UnitOfWork")


class Inbox(Protocol):
    async def first_sightings(self, topic: str, event_ids: Sequence[UUID]) -> set[UUID]:
        """Record `event_ids` as applied; return those never applied before."""
        ...


class UnitOfWork:
    """What every service's unit of work offers; a service subclasses it (or `PostgresUnitOfWork`) to add its
    repositories as attributes."""

    inbox: Inbox
    keys: KeyRing  # the data keys this service holds (guichet_common.privacy.keyring)
    erasures: Erasures  # what it erased of each claim's personal data (guichet_common.privacy.erasures)
    announcer: Announcer | None = None  # who announces set-aside items (`announcing`); None: nobody

    def __init__(self) -> None:
        self.published: list[OutboxMessage] = []

    def publish(self, messages: Iterable[OutboxMessage]) -> None:
        """Queue events for the outbox; they are written with the commit, never before."""
        self.published.extend(messages)

    async def commit(self) -> None:
        raise NotImplementedError

    def savepoint(self) -> contextlib.AbstractAsyncContextManager[object]:
        """A nested transaction: what happens inside is undone alone if the block raises."""
        raise NotImplementedError

    async def set_aside(self, kind: str, item_id: str, reason: BaseException | str) -> bool:
        """Hold one item a background job cannot handle (see `guichet_common.set_aside`); True if newly held, and
        then announced with the commit (when the unit of work has an announcer)."""
        newly = await self._hold(kind, item_id, reason)
        if newly and self.announcer is not None:
            self.publish([self.announcer.held(kind, item_id, reason)])
        return newly

    async def _hold(self, kind: str, item_id: str, reason: BaseException | str) -> bool:
        raise NotImplementedError

    async def item_by_item(
        self,
        items: Iterable[T],
        attempt_one: Callable[[T], Awaitable[object]],
        on_failure: Callable[[T, Exception], Awaitable[object]],
    ) -> int:
        """Try each item in a savepoint of its own; one that raises is undone alone and handed to `on_failure`.
        Transient database errors are nobody's fault and propagate. Returns how many items succeeded."""
        done = 0
        for item in items:
            try:
                async with self.savepoint():
                    await attempt_one(item)
                done += 1
            except TRANSIENT_DB_ERRORS:
                raise
            except Exception as error:
                await on_failure(item, error)
        return done


class _PostgresInbox:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def first_sightings(self, topic: str, event_ids: Sequence[UUID]) -> set[UUID]:
        return await first_sightings(self._conn, topic, event_ids)


class PostgresUnitOfWork(UnitOfWork):
    """One connection in one transaction. Subclasses build their repositories on `self.connection`."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        super().__init__()
        self.connection = connection
        self.inbox = _PostgresInbox(connection)
        self.keys = PostgresKeyRing(connection)
        self.erasures = PostgresErasures(connection)
        self._transaction: asyncpg.transaction.Transaction | None = None

    async def begin(self) -> None:
        self._transaction = self.connection.transaction()
        await self._transaction.start()

    async def commit(self) -> None:
        """Write the queued events to the outbox, then commit everything at once."""
        assert self._transaction is not None, "begin() first"
        await write_outbox(self.connection, self.published)
        self.published = []
        await self._transaction.commit()
        self._transaction = None

    async def rollback(self) -> None:
        if self._transaction is not None:
            transaction, self._transaction = self._transaction, None
            await transaction.rollback()

    def savepoint(self) -> contextlib.AbstractAsyncContextManager[object]:
        return self.connection.transaction()

    async def _hold(self, kind: str, item_id: str, reason: BaseException | str) -> bool:
        return await set_aside(self.connection, kind, item_id, reason)


UnitOfWorkFactory = Callable[[asyncpg.Connection], PostgresUnitOfWork]


def announcing(
    factory: Callable[[asyncpg.Connection], U], service: str, topic_prefix: str
) -> Callable[[asyncpg.Connection], U]:
    """`factory`'s units of work, announcing the items they set aside as `service`'s (a service's wiring:
    `wiring.unit_of_work = announcing(PaymentsUnitOfWork, wiring.name, settings.topic_prefix)`)."""
    announcer = Announcer(service, topic_prefix)

    def make(connection: asyncpg.Connection) -> U:
        uow = factory(connection)
        uow.announcer = announcer
        return uow

    return make


@contextlib.asynccontextmanager
async def open_unit_of_work(
    pool: asyncpg.Pool | PoolSlot, factory: Callable[[asyncpg.Connection], U]
) -> AsyncIterator[U]:
    """A unit of work on a pooled connection, its transaction begun; rolled back on leaving unless committed."""
    async with pool.acquire() as connection:
        uow = factory(cast(asyncpg.Connection, connection))  # the pool's proxy behaves as the connection
        assert isinstance(uow, PostgresUnitOfWork)
        await uow.begin()
        try:
            yield uow
        finally:
            if connection.is_in_transaction():
                await uow.rollback()


class InMemoryInbox:
    def __init__(self) -> None:
        self.applied: set[tuple[str, UUID]] = set()

    async def first_sightings(self, topic: str, event_ids: Sequence[UUID]) -> set[UUID]:
        fresh = {event_id for event_id in event_ids if (topic, event_id) not in self.applied}
        self.applied |= {(topic, event_id) for event_id in fresh}
        return fresh


class FakeUnitOfWork(UnitOfWork):
    """A unit of work in memory, for use cases' unit tests: services subclass it to add in-memory repositories.

    `committed` holds what would have reached the outbox, `commits` how many times the use case committed;
    `held` the set-aside items. A savepoint does not undo in-memory writes: tests of item-by-item failures check
    what was set aside and published, not rolled-back repository state."""

    def __init__(self) -> None:
        super().__init__()
        self.inbox = InMemoryInbox()
        self.keys = InMemoryKeyRing()
        self.erasures = InMemoryErasures()
        self.committed: list[OutboxMessage] = []
        self.commits = 0
        self.held: dict[tuple[str, str], str] = {}

    async def commit(self) -> None:
        self.committed += self.published
        self.published = []
        self.commits += 1

    def savepoint(self) -> contextlib.AbstractAsyncContextManager[object]:
        return contextlib.nullcontext()

    async def _hold(self, kind: str, item_id: str, reason: BaseException | str) -> bool:
        newly = (kind, item_id) not in self.held
        self.held[(kind, item_id)] = reason if isinstance(reason, str) else f"{type(reason).__name__}: {reason}"
        return newly
