"""Publishing: sends without awaiting each ack, never more than the bound in flight, and counts only acks."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaTimeoutError

from guichet_registry.importer import ImportReport, publish
from guichet_registry.mapping import Message
from guichet_registry.stock import Rejection


class SlowBroker:
    """Acks each send a little later, and records the most sends ever awaiting their ack at once."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.unacked = 0
        self.most_unacked = 0
        self.flushed = False
        self._fail_at = fail_at

    async def send(self, topic: str, value: bytes, key: bytes) -> asyncio.Future:
        self.sent.append((topic, key, value))
        self.unacked += 1
        self.most_unacked = max(self.most_unacked, self.unacked)
        ack = asyncio.get_running_loop().create_future()
        failing = len(self.sent) == self._fail_at
        asyncio.get_running_loop().call_later(0.001, self._ack, ack, failing)
        return ack

    def _ack(self, ack: asyncio.Future, failing: bool) -> None:
        self.unacked -= 1
        ack.set_exception(KafkaTimeoutError()) if failing else ack.set_result(None)

    async def flush(self) -> None:
        self.flushed = True
        while self.unacked:
            await asyncio.sleep(0.001)


def _outcomes(count: int) -> list[Message | Rejection]:
    outcomes: list[Message | Rejection] = []
    for row in range(1, count + 1):
        key = f"{row:09d}".encode()
        outcomes.append(Rejection(row, "siren", "bad") if row % 10 == 0 else Message(key, b'{"siren":"' + key + b'"}'))
    return outcomes


async def test_every_valid_record_is_sent_keyed_by_siren_and_counted_once_acked():
    broker, report = SlowBroker(), ImportReport("p.registry.companies.v1")
    await publish(broker, report.topic, _outcomes(500), report, max_in_flight=50)
    assert (report.published, report.rejected) == (450, 50)
    assert broker.flushed and broker.unacked == 0
    assert all(topic == "p.registry.companies.v1" and key in value for topic, key, value in broker.sent)
    assert report.rejected_by_field == {"siren": 50} and len(report.first_rejections) == 10


async def test_sends_in_flight_stay_within_the_bound_but_do_not_wait_one_by_one():
    broker = SlowBroker()
    await publish(broker, "t", _outcomes(500), ImportReport("t"), max_in_flight=50)
    assert 10 < broker.most_unacked <= 50


async def test_a_delivery_failure_stops_the_import_instead_of_being_lost():
    broker, report = SlowBroker(fail_at=30), ImportReport("t")
    with pytest.raises(KafkaTimeoutError):
        await publish(broker, "t", _outcomes(500), report, max_in_flight=50)
    assert report.published < 30
