"""Finance's own system, logged in as `guichet-finance` on the secured broker (conftest.py), may send its settlement
reports on payments.settlements.v1 with an idempotent producer, and do nothing else: write no other topic, read
none (not even its own), join no consumer group, create no topic (issue 16's least privilege)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError

from guichet_common.access import SERVICES, grants_for, principal
from guichet_common.contracts.payments import PaymentSettlementV1
from guichet_common.topics import ALL_TOPICS, PAYMENTS_SETTLEMENTS, consumer_group_prefix, topic_names_with_dead_letters
from guichet_deploy.kafka_secure import SecuredKafka

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def every_topic(secured_prefix: str) -> list[str]:
    """Every topic of ALL_TOPICS with its .dlq and .replay, as the secured broker names them."""
    return sorted(secured_prefix + spec.name for spec in topic_names_with_dead_letters(ALL_TOPICS))


@pytest.fixture(scope="module")
def settlements(secured_prefix: str) -> str:
    return secured_prefix + PAYMENTS_SETTLEMENTS.name


def test_the_model_gives_finance_write_and_describe_on_settlements_only(secured_prefix: str) -> None:
    [grant] = grants_for("finance", secured_prefix)
    assert (grant.resource, grant.name, grant.pattern) == (
        "topic",
        secured_prefix + PAYMENTS_SETTLEMENTS.name,
        "literal",
    )
    assert grant.operations == ("Describe", "Write")
    assert principal("finance") == "guichet-finance"


async def test_finance_sends_a_settlement_with_an_idempotent_producer(secured: SecuredKafka, settlements: str) -> None:
    """Kafka 3.9: an idempotent producer needs no IdempotentWrite on the cluster once it may write a topic
    (KIP-679, Kafka 3.0); the producer id the broker hands out proves the idempotent path was taken."""
    report = PaymentSettlementV1(
        event_id=uuid.uuid4(),
        occurred_at=dt.datetime.now(dt.UTC),
        payment_id="pay-finance-acl",
        status="settled",
        attempt=1,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=secured.bootstrap,
        enable_idempotence=True,
        request_timeout_ms=10_000,
        **secured.client_options("finance"),
    )
    try:
        await producer.start()
        sent = await producer.send_and_wait(
            settlements, report.model_dump_json(exclude_none=True).encode(), key=report.payment_id.encode()
        )
        assert sent.topic == settlements and sent.offset >= 0
        assert producer._txn_manager is not None and producer._txn_manager.producer_id >= 0  # InitProducerId granted
    finally:
        await producer.stop()


async def test_finance_writes_no_other_topic(
    secured: SecuredKafka, produce, every_topic: list[str], settlements
) -> None:
    others = [topic for topic in every_topic if topic != settlements]
    assert settlements + ".dlq" in others and settlements + ".replay" in others  # payments' own, not finance's
    for topic in others:
        with pytest.raises(TopicAuthorizationFailedError):
            await produce(secured, secured.client_options("finance"), topic)


async def test_finance_reads_no_topic_not_even_settlements(secured: SecuredKafka, consume, every_topic) -> None:
    for topic in every_topic:
        with pytest.raises(TopicAuthorizationFailedError):
            await consume(secured, secured.client_options("finance"), topic, None)


@pytest.mark.parametrize(
    "group",
    [
        "guichet-finance.payments.settlements.v1",
        "finance",
        *(consumer_group_prefix(s) + "settlements" for s in SERVICES),
    ],
)
async def test_finance_joins_no_consumer_group(secured: SecuredKafka, consume, settlements: str, group: str) -> None:
    with pytest.raises(GroupAuthorizationFailedError):
        await consume(secured, secured.client_options("finance"), settlements, group)


async def test_finance_creates_no_topic_and_sees_only_settlements(secured: SecuredKafka, secured_prefix: str) -> None:
    wanted = secured_prefix + "finance.made-up.v1"
    admin = AIOKafkaAdminClient(bootstrap_servers=secured.bootstrap, **secured.client_options("finance"))
    await admin.start()
    try:
        answer = await admin.create_topics([NewTopic(wanted, num_partitions=1, replication_factor=1)])
        assert [(name, code) for name, code, *_ in answer.topic_errors] == [
            (wanted, TopicAuthorizationFailedError.errno)
        ]
        assert await admin.list_topics() == [secured_prefix + PAYMENTS_SETTLEMENTS.name]
    finally:
        await admin.close()
    platform = AIOKafkaAdminClient(bootstrap_servers=secured.bootstrap, **secured.admin_options())
    await platform.start()
    try:
        assert wanted not in await platform.list_topics()
    finally:
        await platform.close()
