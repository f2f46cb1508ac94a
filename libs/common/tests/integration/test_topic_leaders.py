"""ensure_topics returns only once new topics can be used: on a cold broker, the metadata of a just-created topic
names its leader before that broker leads the partition, and a client starting then meets NOT_LEADER_OR_FOLLOWER
(aiokafka logs it at error level: the bench's one error line on a fresh machine). Many topics at once widen the
window, so that the race shows on every run rather than now and then."""

from __future__ import annotations

import secrets
from collections import defaultdict

import pytest
from aiokafka.client import AIOKafkaClient
from aiokafka.protocol.metadata import MetadataRequest
from aiokafka.protocol.offset import OffsetRequest

from guichet_common.kafka_admin import delete_topics_with_prefix, ensure_topics
from guichet_common.topics import TopicSpec

pytestmark = pytest.mark.integration

TOPICS, PARTITIONS = 20, 6


async def answers_of_the_leaders(bootstrap: str, names: list[str]) -> tuple[int, dict[int, int]]:
    """(partitions without a leader in the metadata, ListOffsets error codes of each partition's leader by count),
    from one question each, without the retries a client library would hide the race behind."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap)
    await client.bootstrap()
    try:
        metadata = (await client.send(client.get_random_node(), MetadataRequest(names, False))).to_object()
        leaderless, by_leader = 0, defaultdict(lambda: defaultdict(list))
        for topic in metadata["topics"]:
            assert topic["error_code"] == 0, topic
            for partition in topic["partitions"]:
                if partition["leader"] < 0:
                    leaderless += 1
                else:
                    by_leader[partition["leader"]][topic["topic"]].append((partition["partition"], -2))
        codes: dict[int, int] = defaultdict(int)
        for leader, topics in by_leader.items():
            answer = await client.send(leader, OffsetRequest(-1, 0, list(topics.items())))
            for _topic, partitions in answer.topics:
                for _partition, code, *_ in partitions:
                    codes[code] += 1
        return leaderless, dict(codes)
    finally:
        await client.close()


async def test_every_partition_of_new_topics_is_served_by_its_leader_when_ensure_topics_returns(infra) -> None:
    prefix = f"leaders-{secrets.token_hex(3)}."
    specs = tuple(TopicSpec(f"cold.t{i}", has_dead_letters=True) for i in range(TOPICS))
    try:
        names = await ensure_topics(infra.kafka_bootstrap, prefix=prefix, partitions=PARTITIONS, specs=specs)
        leaderless, codes = await answers_of_the_leaders(infra.kafka_bootstrap, names)
    finally:
        await delete_topics_with_prefix(infra.kafka_bootstrap, prefix)

    assert len(names) == 3 * TOPICS  # each with its dead-letter and replay topics
    assert leaderless == 0
    assert codes == {0: len(names) * PARTITIONS}, "error code -> partitions (6: NOT_LEADER_OR_FOLLOWER)"
