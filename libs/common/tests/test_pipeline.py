"""The typed subscription on a fake unit of work: decode, inbox, use case, outbox, commit; no database."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pytest
from pydantic import BaseModel

from guichet_common.outbox import OutboxMessage
from guichet_common.pipeline import DeadLetter, Published, Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.unit_of_work import FakeUnitOfWork


class Ping(BaseModel):
    event_id: uuid.UUID
    text: str


def record(offset: int, value: bytes) -> InboundRecord:
    return InboundRecord(topic="t.in", partition=0, offset=offset, key=b"k", value=value)


def ping(event_id: uuid.UUID, text: str) -> bytes:
    return Ping(event_id=event_id, text=text).model_dump_json().encode()


async def echo(uow: FakeUnitOfWork, pings: Sequence[Ping]) -> list[Published]:
    return [
        DeadLetter(p, "refused by the use case") if p.text == "no" else OutboxMessage("t.out", b"k", p.text.encode())
        for p in pings
    ]


ECHO: Subscription[FakeUnitOfWork, Ping] = Subscription(use_case=echo, decode=contract(Ping))


def published(uow: FakeUnitOfWork, topic: str) -> list[bytes]:
    return [m.value for m in uow.committed if m.topic == topic]


async def test_new_events_reach_the_use_case_and_what_it_returns_is_committed() -> None:
    uow = FakeUnitOfWork()
    await ECHO.apply(uow, [record(1, ping(uuid.uuid4(), "a")), record(2, ping(uuid.uuid4(), "b"))])
    assert published(uow, "t.out") == [b"a", b"b"]
    assert uow.commits == 1


async def test_a_redelivered_or_repeated_event_is_applied_once() -> None:
    uow, event = FakeUnitOfWork(), uuid.uuid4()
    await ECHO.apply(uow, [record(1, ping(event, "a")), record(2, ping(event, "a"))])
    await ECHO.apply(uow, [record(1, ping(event, "a"))])
    assert published(uow, "t.out") == [b"a"]


async def test_what_does_not_decode_is_dead_lettered_with_why_and_the_rest_applied() -> None:
    uow = FakeUnitOfWork()
    await ECHO.apply(uow, [record(1, b"not json"), record(2, b'{"event_id": 3}'), record(3, ping(uuid.uuid4(), "c"))])
    reasons = [dict(m.headers)["dlq.reason"].decode() for m in uow.committed if m.topic == "t.in.dlq"]
    assert reasons[0].startswith("value is not JSON")
    assert reasons[1].startswith("schema: event_id")
    assert published(uow, "t.out") == [b"c"]


async def test_a_message_the_use_case_hands_back_is_dead_lettered_as_its_own_record() -> None:
    uow = FakeUnitOfWork()
    await ECHO.apply(uow, [record(7, ping(uuid.uuid4(), "no")), record(8, ping(uuid.uuid4(), "yes"))])
    [dead] = [m for m in uow.committed if m.topic == "t.in.dlq"]
    assert dict(dead.headers)["dlq.original.offset"] == b"7"
    assert dict(dead.headers)["dlq.reason"] == b"refused by the use case"
    assert published(uow, "t.out") == [b"yes"]


async def test_without_event_ids_every_decoded_message_reaches_the_use_case() -> None:
    uow, event = FakeUnitOfWork(), uuid.uuid4()
    subscription: Subscription[FakeUnitOfWork, Ping] = Subscription(echo, contract(Ping), event_id=None)
    await subscription.apply(uow, [record(1, ping(event, "a")), record(2, ping(event, "a"))])
    assert published(uow, "t.out") == [b"a", b"a"]


async def test_a_use_case_that_raises_commits_nothing() -> None:
    async def failing(uow: FakeUnitOfWork, pings: Sequence[Ping]) -> list[Published]:
        raise RuntimeError("bug")

    uow = FakeUnitOfWork()
    with pytest.raises(RuntimeError):
        await Subscription(failing, contract(Ping)).apply(uow, [record(1, ping(uuid.uuid4(), "a"))])
    assert uow.commits == 0 and uow.committed == []


async def test_a_reader_that_does_not_own_the_topic_sets_aside_what_it_cannot_use_and_writes_no_dead_letter() -> None:
    uow = FakeUnitOfWork()
    reader: Subscription[FakeUnitOfWork, Ping] = Subscription(echo, contract(Ping), set_aside_kind="unreadable")
    await reader.apply(
        uow, [record(1, b"not json"), record(2, ping(uuid.uuid4(), "no")), record(3, ping(uuid.uuid4(), "c"))]
    )
    assert not [m for m in uow.committed if m.topic.endswith(".dlq")]
    assert set(uow.held) == {("unreadable", "t.in/0/1"), ("unreadable", "t.in/0/2")}
    assert uow.held[("unreadable", "t.in/0/1")].startswith("value is not JSON")
    assert published(uow, "t.out") == [b"c"]
