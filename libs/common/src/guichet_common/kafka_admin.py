"""Explicit topic creation with the admin client (the broker's auto-creation stays off), and the admin reads the
services need (consumer lag). Every function takes `client_options` (guichet_common.kafka_security)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.client import AIOKafkaClient, CoordinationType
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAlreadyExistsError,
    TopicAuthorizationFailedError,
)
from aiokafka.protocol.metadata import MetadataRequest
from aiokafka.protocol.offset import OffsetRequest

from guichet_common.kafka_security import environment_client_options
from guichet_common.topics import ALL_TOPICS, TopicSpec, portal_claims_topic, topic_names_with_dead_letters

log = structlog.get_logger()


# Where the brokers keep consumer groups' offsets; created by the broker on the first group lookup.
GROUP_OFFSETS_TOPIC = "__consumer_offsets"

# Error codes of a CreateTopics answer that mean "this principal may not create topics" (ACLs in force).
_AUTHORIZATION_ERRORS = frozenset({TopicAuthorizationFailedError.errno, ClusterAuthorizationFailedError.errno})


class TopicsMissingError(RuntimeError):
    """Topics this client needs do not exist and it may not create them: the platform (admin) must."""


async def ensure_topics(
    bootstrap_servers: str,
    *,
    prefix: str = "",
    partitions: int = 6,
    replication_factor: int | None = None,
    specs: tuple[TopicSpec, ...] = ALL_TOPICS,
    connect_timeout_s: float = 60.0,
    client_options: Mapping[str, Any] | None = None,
    kafka_portals: Sequence[str] = (),
) -> list[str]:
    """Create every topic in `specs` (and its dead-letter topic) that does not exist yet; return all names.

    Idempotent and safe to call from several processes at once: an existing topic is left as it is. Without a
    `replication_factor`, topics get 3 replicas on a cluster of 3 brokers or more (min ISR 2 is the brokers'
    default there), else one per broker.

    With ACLs a service may not create topics and sees only the topics it is granted; it then starts as long as
    those exist. Topics it may not even describe are another service's business and are skipped; a topic it may
    describe that is missing raises TopicsMissingError. `client_options` (None: from the environment) authenticate.

    Returns only once every partition of every topic this call found missing has a leader that answers as one
    (see `_wait_until_led`): a client that starts right after may produce and consume without meeting
    NOT_LEADER_OR_FOLLOWER, which aiokafka logs at error level.

    `kafka_portals` (GUICHET_KAFKA_PORTALS) adds each portal's own door, `portals.<name>.claims.submitted.v1`.
    """
    options = _options(client_options)
    specs = (*specs, *(portal_claims_topic(portal) for portal in kafka_portals))
    wanted = {prefix + spec.name: spec for spec in topic_names_with_dead_letters(specs)}
    hidden: set[str] = set()
    fresh: set[str] = set()  # created by this call, or by a concurrent one between our listing and our creation
    admin = await _connected_admin(bootstrap_servers, connect_timeout_s, options)
    try:
        existing = set(await admin.list_topics())
        missing = {name: spec for name, spec in wanted.items() if name not in existing}
        if missing:
            replicas = replication_factor or min(3, len((await admin.describe_cluster())["brokers"]))
            refused = await _create_topics(admin, missing, partitions, replicas)
            fresh = set(missing) - refused
            if refused:
                hidden = await _not_describable(admin, refused)
                if absent := sorted(refused - hidden):
                    raise TopicsMissingError(
                        f"topics missing and this client is not allowed to create them: {absent};"
                        " the platform creates topics (e.g. `python -m guichet_deploy` or the KafkaTopic resources)"
                    )
                log.info("topics_not_visible", count=len(hidden), reason="not granted to this principal")
    finally:
        await admin.close()
    await _wait_until_listed(bootstrap_servers, set(wanted) - hidden, options=options)
    if fresh:
        await _wait_until_led(bootstrap_servers, fresh, options=options)
    return sorted(wanted)


async def _create_topics(
    admin: AIOKafkaAdminClient, missing: Mapping[str, TopicSpec], partitions: int, replication_factor: int
) -> set[str]:
    """Create `missing`; return the names the broker refused for lack of rights (other refusals raise)."""
    new_topics = [
        NewTopic(
            name=name,
            num_partitions=partitions,
            replication_factor=replication_factor,
            topic_configs=spec.config(),
        )
        for name, spec in missing.items()
    ]
    response = await admin.create_topics(new_topics)
    refused: set[str] = set()
    for topic_error in getattr(response, "topic_errors", ()):
        name, code = topic_error[0], topic_error[1]
        if code in _AUTHORIZATION_ERRORS:
            refused.add(name)
        elif code not in (0, TopicAlreadyExistsError.errno):
            raise RuntimeError(f"could not create topic {name}: error code {code}")
    if created := sorted(set(missing) - refused):
        log.info("topics_created", topics=created, partitions=partitions)
    return refused


async def _not_describable(admin: AIOKafkaAdminClient, names: set[str]) -> set[str]:
    """Those of `names` this principal may not describe: the broker will not say whether they exist.

    Safe from auto-creation: asked only after this principal was refused the right to create topics."""
    descriptions = await admin.describe_topics(sorted(names))
    return {d["topic"] for d in descriptions if d.get("error_code") == TopicAuthorizationFailedError.errno}


def _options(client_options: Mapping[str, Any] | None) -> dict[str, Any]:
    return environment_client_options() if client_options is None else dict(client_options)


async def _connected_admin(bootstrap_servers: str, timeout_s: float, options: Mapping[str, Any]) -> AIOKafkaAdminClient:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000, **options)
        try:
            await admin.start()
            return admin
        except KafkaConnectionError:
            await admin.close()
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _wait_until_listed(
    bootstrap_servers: str, names: set[str], timeout_s: float = 30.0, *, options: Mapping[str, Any]
) -> None:
    """Creation is asynchronous on the controller; wait until the metadata shows every topic."""
    admin = await _connected_admin(bootstrap_servers, timeout_s, options)
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not names <= set(await admin.list_topics()):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"topics not visible after {timeout_s}s: {sorted(names)}")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def _wait_until_led(
    bootstrap_servers: str, names: set[str], timeout_s: float = 60.0, *, options: Mapping[str, Any]
) -> None:
    """Wait until every partition of `names` has a leader that serves it, as seen by every broker.

    A new topic's metadata names its leaders before those brokers have taken the partitions on: for a moment the
    leader itself answers NOT_LEADER_OR_FOLLOWER, and a consumer resetting its offsets then logs
    `Failed fetch offsets ... NotLeaderForPartitionError` at error level. So the metadata is asked of each broker
    (on a cluster each learns of a topic on its own schedule), then each leader is asked for the partitions' end
    offsets, which it answers only once it leads them."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000, **options)
    await client.bootstrap()
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while (waiting := await _partitions_not_led(client, sorted(names))) > 0:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{waiting} partitions without a serving leader after {timeout_s}s: {sorted(names)}")
            await asyncio.sleep(0.2)
    finally:
        await client.close()


async def _partitions_not_led(client: AIOKafkaClient, names: list[str]) -> int:
    """How many partitions of `names` some broker's metadata or their own leader does not show as led (1 at least
    while a broker cannot be asked)."""
    by_leader: dict[int, dict[str, list[tuple[int, int]]]] = {}
    not_led = 0
    try:
        for broker in client.cluster.brokers():
            if not await client.ready(broker.nodeId):
                return max(1, not_led)
            metadata = await client.send(broker.nodeId, MetadataRequest(names, allow_auto_topic_creation=False))
            described = {topic["topic"]: topic for topic in metadata.to_object()["topics"]}
            for name in names:
                topic = described.get(name)
                if topic is None or topic["error_code"] or not topic["partitions"]:
                    not_led += 1
                    continue
                for partition in topic["partitions"]:
                    if partition["error_code"] or partition["leader"] < 0:
                        not_led += 1
                    else:  # -1: the latest offset; the request is only a question to the leader
                        by_leader.setdefault(partition["leader"], {}).setdefault(name, []).append(
                            (partition["partition"], -1)
                        )
        if not_led:
            return not_led
        for leader, topics in by_leader.items():
            if not await client.ready(leader):
                return 1
            # Every broker's metadata may repeat a partition: one question per partition is enough.
            question = [(topic, sorted(set(partitions))) for topic, partitions in topics.items()]
            answer = await client.send(leader, OffsetRequest(-1, 0, question))
            not_led += sum(1 for _topic, partitions in answer.topics for _p, code, *_ in partitions if code)
    except KafkaError as error:  # a broker busy or going away: ask again on the next round
        log.debug("topic_leaders_not_ready", error=type(error).__name__)
        return max(1, not_led)
    return not_led


async def wait_for_group_coordinator(
    bootstrap_servers: str, *, timeout_s: float = 60.0, client_options: Mapping[str, Any] | None = None
) -> None:
    """Until consumer groups can be joined: on a broker no group has used yet, the first lookup makes the broker
    create its offsets topic, and until that is led every consumer logs `Group Coordinator Request failed` at
    error level. A stack that starts its consumers on a fresh broker waits here first (with rights to describe
    groups and the offsets topic: an admin's, not a service's)."""
    options = _options(client_options)
    client = AIOKafkaClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000, **options)
    await client.bootstrap()
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            try:
                await client.coordinator_lookup(CoordinationType.GROUP, "guichet-coordinator-probe")
                break
            except KafkaError as error:
                if not error.retriable or asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.2)
    finally:
        await client.close()
    await _wait_until_led(bootstrap_servers, {GROUP_OFFSETS_TOPIC}, timeout_s, options=options)


async def delete_topics_with_prefix(
    bootstrap_servers: str, prefix: str, *, client_options: Mapping[str, Any] | None = None
) -> list[str]:
    """Delete every topic whose name starts with `prefix` (a scratch run's topics); return their names."""
    if not prefix:
        raise ValueError("refusing to delete topics without a prefix: that would be every topic")
    admin = await _connected_admin(bootstrap_servers, 30.0, _options(client_options))
    try:
        names = sorted(name for name in await admin.list_topics() if name.startswith(prefix))
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()
    return names


async def consumer_lag(
    bootstrap_servers: str, group_topics: Mapping[str, str], *, client_options: Mapping[str, Any] | None = None
) -> dict[tuple[str, int], int]:
    """Per (topic, partition): messages beyond what the consuming group has committed (`group_topics`: group id ->
    topic). A partition the group never committed on counts whole, as the group will read it from the start."""
    options = _options(client_options)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5_000, **options)
    ends = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, request_timeout_ms=5_000, **options)
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
