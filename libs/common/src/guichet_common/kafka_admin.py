"""Explicit topic creation with the admin client (the broker's auto-creation stays off)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from guichet_common.topics import ALL_TOPICS, TopicSpec, topic_names_with_dead_letters

log = structlog.get_logger()


async def ensure_topics(
    bootstrap_servers: str,
    *,
    prefix: str = "",
    partitions: int = 6,
    replication_factor: int = 1,
    specs: tuple[TopicSpec, ...] = ALL_TOPICS,
    connect_timeout_s: float = 60.0,
) -> list[str]:
    """Create every topic in `specs` (and its dead-letter topic) that does not exist yet; return all names.

    Idempotent and safe to call from several processes at once: an existing topic is left as it is.
    """
    wanted = {prefix + spec.name: spec for spec in topic_names_with_dead_letters(specs)}
    admin = await _connected_admin(bootstrap_servers, connect_timeout_s)
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name=name,
                num_partitions=partitions,
                replication_factor=replication_factor,
                topic_configs={"cleanup.policy": "compact"} if spec.compacted else {},
            )
            for name, spec in wanted.items()
            if name not in existing
        ]
        if missing:
            response = await admin.create_topics(missing)
            for topic_error in getattr(response, "topic_errors", ()):
                name, code = topic_error[0], topic_error[1]
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise RuntimeError(f"could not create topic {name}: error code {code}")
            log.info("topics_created", topics=sorted(t.name for t in missing), partitions=partitions)
    finally:
        await admin.close()
    await _wait_until_listed(bootstrap_servers, set(wanted))
    return sorted(wanted)


async def _connected_admin(bootstrap_servers: str, timeout_s: float) -> AIOKafkaAdminClient:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
        try:
            await admin.start()
            return admin
        except KafkaConnectionError:
            await admin.close()
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _wait_until_listed(bootstrap_servers: str, names: set[str], timeout_s: float = 30.0) -> None:
    """Creation is asynchronous on the controller; wait until the metadata shows every topic."""
    admin = await _connected_admin(bootstrap_servers, timeout_s)
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not names <= set(await admin.list_topics()):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"topics not visible after {timeout_s}s: {sorted(names)}")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def delete_topics_with_prefix(bootstrap_servers: str, prefix: str) -> list[str]:
    """Delete every topic whose name starts with `prefix` (a scratch run's topics); return their names."""
    if not prefix:
        raise ValueError("refusing to delete topics without a prefix: that would be every topic")
    admin = await _connected_admin(bootstrap_servers, 30.0)
    try:
        names = sorted(name for name in await admin.list_topics() if name.startswith(prefix))
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()
    return names


async def consumer_lag(bootstrap_servers: str, group_topics: Mapping[str, str]) -> dict[tuple[str, int], int]:
    """Per (topic, partition): messages beyond what the consuming group has committed (`group_topics`: group id ->
    topic). A partition the group never committed on counts whole, as the group will read it from the start."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5_000)
    ends = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, request_timeout_ms=5_000)
    await admin.start()
    try:
        await ends.start()
        lag: dict[tuple[str, int], int] = {}
        for group, topic in group_topics.items():
            committed = await admin.list_consumer_group_offsets(group)
            partitions = await partitions_of(admin, topic)
            if not partitions:
                continue
            firsts = await ends.beginning_offsets(partitions)
            for tp, end in (await ends.end_offsets(partitions)).items():
                done = committed.get(tp)
                start = done.offset if done and done.offset >= 0 else firsts[tp]  # retention may have cut the start
                lag[(tp.topic, tp.partition)] = max(0, end - start)
        return lag
    finally:
        await ends.stop()
        await admin.close()


async def partitions_of(admin: AIOKafkaAdminClient, topic: str) -> list[TopicPartition]:
    """The topic's partitions, none when it does not exist."""
    [description] = await admin.describe_topics([topic])
    if description.get("error_code"):
        return []
    return [
        TopicPartition(topic, p["partition"]) for p in sorted(description["partitions"], key=lambda p: p["partition"])
    ]
