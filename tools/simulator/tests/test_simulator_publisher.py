"""The publisher's keys, encoding, ordering and pacing, against an in-process stand-in for the producer."""

from __future__ import annotations

import asyncio
import json

import pytest

from guichet_simulator import publisher
from guichet_simulator.generator import generate_claims


class RecordingProducer:
    def __init__(self, topics: tuple[str, ...] | None = None) -> None:
        self.sent: list[tuple[str, bytes, bytes, float]] = []
        self.flushes = 0
        self.client = self
        self._topics = topics

    async def fetch_all_metadata(self):
        return self

    def topics(self) -> set[str]:
        if self._topics is not None:
            return set(self._topics)
        return {prefix + name for prefix in ("", "dev.") for name in ("registry.companies.v1", "claims.submitted.v1")}

    async def send(self, topic: str, value: bytes, key: bytes):
        self.sent.append((topic, key, value, asyncio.get_running_loop().time()))
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    async def flush(self) -> None:
        self.flushes += 1


class _Opened:
    def __init__(self, producer: RecordingProducer) -> None:
        self.producer = producer

    async def __aenter__(self) -> RecordingProducer:
        return self.producer

    async def __aexit__(self, *exc) -> bool:
        return False


async def test_registry_records_are_keyed_by_siren_and_flushed():
    claims = generate_claims(20, 5)
    records = [c.registry_record for c in claims if c.registry_record]
    producer = RecordingProducer()
    assert await publisher.publish_registry_records(producer, records, topic="t.registry") == len(records)
    assert producer.flushes == 1
    for (topic, key, value, _), record in zip(producer.sent, records):
        assert topic == "t.registry"
        assert key == record["siren"].encode()
        assert json.loads(value.decode("utf-8")) == record


async def test_claims_are_keyed_by_the_applicant_siren_as_utf8_json():
    claims = generate_claims(20, 5)
    producer = RecordingProducer()
    await publisher.publish_claim_events(producer, [c.event for c in claims], topic="t.claims")
    assert [key.decode() for _, key, _, _ in producer.sent] == [c.siren for c in claims]
    assert [json.loads(value) for _, _, value, _ in producer.sent] == [c.event for c in claims]


async def test_an_offered_rate_spreads_the_claims_over_time():
    events = [c.event for c in generate_claims(11, 5)]
    producer = RecordingProducer()
    await publisher.publish_claim_events(producer, events, topic="t", rate=100.0)
    times = [t for *_, t in producer.sent]
    assert times[-1] - times[0] >= 0.09  # 10 intervals at 100/s


async def test_the_registry_goes_out_before_the_claims(monkeypatch):
    producer = RecordingProducer()

    monkeypatch.setattr(publisher, "kafka_producer", lambda bootstrap: _Opened(producer))
    claims = generate_claims(50, 9, problem_share=0.5)
    result = await publisher.publish_simulation(claims, bootstrap_servers="unused:9092", prefix="dev.")
    topics = [topic for topic, *_ in producer.sent]
    registry_count = sum(1 for c in claims if c.registry_record is not None)
    assert topics == ["dev.registry.companies.v1"] * registry_count + ["dev.claims.submitted.v1"] * 50
    assert (result.registry_records, result.claims) == (registry_count, 50)


async def test_the_example_command_publishes_the_contract_examples(monkeypatch):
    producer = RecordingProducer()

    monkeypatch.setattr(publisher, "kafka_producer", lambda bootstrap: _Opened(producer))
    monkeypatch.delenv(publisher.TOPIC_PREFIX_ENV, raising=False)
    await publisher.publish_example(bootstrap_servers="unused:9092")
    assert [(topic, key) for topic, key, *_ in producer.sent] == [
        ("registry.companies.v1", b"642515712"),
        ("claims.submitted.v1", b"642515712"),
    ]


async def test_nothing_is_sent_when_a_topic_is_missing(monkeypatch):
    producer = RecordingProducer(topics=("claims.submitted.v1",))
    monkeypatch.setattr(publisher, "kafka_producer", lambda bootstrap: _Opened(producer))
    with pytest.raises(publisher.MissingTopicsError, match="registry.companies.v1"):
        await publisher.publish_simulation(generate_claims(3, 1), bootstrap_servers="unused:9092", prefix="")
    assert producer.sent == []


def test_topic_prefix_comes_from_the_environment_unless_given(monkeypatch):
    monkeypatch.setenv(publisher.TOPIC_PREFIX_ENV, "staging.")
    assert publisher.topic_prefix() == "staging."
    assert publisher.topic_prefix("") == ""
    monkeypatch.delenv(publisher.TOPIC_PREFIX_ENV)
    assert publisher.topic_prefix() == ""


async def test_a_non_positive_rate_is_refused():
    with pytest.raises(ValueError):
        await publisher.publish_simulation([], bootstrap_servers="unused:9092", rate=0)
