"""The secured broker the Kafka grant tests share (one per run: starting it and adding every principal's ACLs
takes tens of seconds), and the two things a principal tries on it: producing and consuming as a service does."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from guichet_common.access import grants_for, principal, principals
from guichet_common.kafka_admin import ensure_topics
from guichet_deploy.kafka_secure import (
    SecuredKafka,
    add_acls,
    provision_topics_and_acls,
    start_secured_broker,
    stop_secured_broker,
)

# Every topic on the secured broker carries it; the tests read it from the `secured_prefix` fixture.
SECURED_PREFIX = "sec."
# Two portals that publish on Kafka through doors of their own (GUICHET_KAFKA_PORTALS), each with its principal.
KAFKA_PORTALS = ("alpha", "beta")

Produce = Callable[[SecuredKafka, Mapping[str, Any], str], Awaitable[None]]
Consume = Callable[[SecuredKafka, Mapping[str, Any], str, "str | None"], Awaitable[None]]


@pytest.fixture(scope="session")
def secured_prefix() -> str:
    return SECURED_PREFIX


@pytest.fixture(scope="session")
def kafka_portals() -> tuple[str, ...]:
    return KAFKA_PORTALS


@pytest.fixture(scope="session")
async def secured(tmp_path_factory: pytest.TempPathFactory, secured_prefix: str) -> AsyncIterator[SecuredKafka]:
    """A broker that denies by default, every topic created, each principal (services, finance, the Kafka portals)
    given its grants."""
    broker = await start_secured_broker(tmp_path_factory.mktemp("secured-kafka"), principals(KAFKA_PORTALS))
    try:
        await provision_topics_and_acls(broker, prefix=secured_prefix, partitions=3)
        await provision_portal_doors(broker, secured_prefix)
        yield broker
    finally:
        stop_secured_broker(broker)


async def provision_portal_doors(broker: SecuredKafka, prefix: str) -> None:
    """The portals' doors, and intake's rights on them (the portals' own grants come with provision_topics_and_acls,
    their names being enough to derive them), as a deployment with GUICHET_KAFKA_PORTALS has them."""
    options = broker.admin_options()
    await ensure_topics(
        broker.bootstrap, prefix=prefix, partitions=3, specs=(), kafka_portals=KAFKA_PORTALS, client_options=options
    )
    without_doors = set(grants_for("intake", prefix))
    doors = [grant for grant in grants_for("intake", prefix, KAFKA_PORTALS) if grant not in without_doors]
    await add_acls(broker, principal("intake"), doors)


async def produce_once(secured: SecuredKafka, options: Mapping[str, Any], topic: str) -> None:
    """Send one record with an idempotent producer, as the services' outbox relays do."""
    producer = AIOKafkaProducer(
        bootstrap_servers=secured.bootstrap, enable_idempotence=True, request_timeout_ms=10_000, **options
    )
    try:
        await producer.start()
        await producer.send_and_wait(topic, b"{}", key=b"acl-test")
    finally:
        await producer.stop()


async def consume_once(secured: SecuredKafka, options: Mapping[str, Any], topic: str, group: str | None) -> None:
    """Join `group` on `topic`, fetch and commit: every right a service's subscriber uses. Without a group, only
    fetch (no offset to commit): the right to read the topic alone."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=secured.bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **options,
    )
    try:
        await consumer.start()
        await consumer.getmany(timeout_ms=1_000)
        if group is not None:
            await consumer.commit()
    finally:
        await consumer.stop()


@pytest.fixture(scope="session")
def produce() -> Produce:
    return produce_once


@pytest.fixture(scope="session")
def consume() -> Consume:
    return consume_once
