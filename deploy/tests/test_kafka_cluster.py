"""The 3-node KRaft cluster: topics replicated on every node, acknowledged writes kept through the loss of one
node, the node rejoining after a restart, and no JVM left behind."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from guichet_deploy import kafka
from guichet_deploy.kafka_cluster import broker_count, start_cluster
from guichet_deploy.procs import pid_alive

pytestmark = [pytest.mark.integration, pytest.mark.chaos]  # a 3-node cluster losing one: `make chaos` runs it


@pytest.fixture
def jars_available() -> None:
    cached = (kafka.jar_cache_dir() / f"kafka_2.13-{kafka.KAFKA_VERSION}.jar").is_file()
    if shutil.which("java") is None or not (cached or shutil.which("mvn")):
        pytest.skip("needs Java, and the Kafka jars cached or Maven to fetch them")


async def _replica_counts_once_known(admin: AIOKafkaAdminClient, topic: str) -> list[int]:
    """Each partition's replica count, once the answering broker knows the topic: every broker learns of a new
    topic from the controller on its own schedule."""
    for _ in range(100):  # at most about 20 s
        [description] = await admin.describe_topics([topic])
        if description["partitions"]:
            return sorted(len(p["replicas"]) for p in description["partitions"])
        await asyncio.sleep(0.2)
    return []


async def _produce(bootstrap: str, topic: str, values: range) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, str(value).encode(), key=str(value).encode())
    finally:
        await producer.stop()


async def _read_all(bootstrap: str, topic: str, expected: int) -> list[int]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    seen: list[int] = []
    try:
        for _ in range(300):  # at most 60 s of polls
            batches = await consumer.getmany(timeout_ms=200)
            seen += [int(r.value) for records in batches.values() for r in records]
            if len(seen) >= expected:
                break
    finally:
        await consumer.stop()
    return seen


async def test_three_nodes_keep_acknowledged_writes_through_the_loss_of_one(jars_available, tmp_path: Path) -> None:
    cluster = await start_cluster(tmp_path / "kafka", nodes=3)
    try:
        assert len(cluster.bootstrap.split(",")) == 3
        assert await broker_count(cluster.bootstrap) == 3
        admin = AIOKafkaAdminClient(bootstrap_servers=cluster.bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic("probe", num_partitions=3, replication_factor=3)])
            replicas = await _replica_counts_once_known(admin, "probe")
        finally:
            await admin.close()
        assert replicas == [3, 3, 3]

        await _produce(cluster.bootstrap, "probe", range(50))
        cluster.kill_node(1)
        assert not pid_alive(cluster.node(1).pid)
        # Two replicas of three are in sync: min ISR 2 still accepts acks=all writes, led by the survivors.
        await _produce(cluster.bootstrap, "probe", range(50, 100))
        await cluster.restart_node(1)
        assert await broker_count(cluster.bootstrap) == 3

        assert sorted(await _read_all(cluster.bootstrap, "probe", 100)) == list(range(100))
    finally:
        pids = [pid for pid in cluster.pids.values() if pid is not None]
        cluster.stop()
    assert pids and not any(pid_alive(pid) for pid in pids)
    assert all(pid is None for pid in cluster.pids.values())
