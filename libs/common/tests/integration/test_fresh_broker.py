"""A stack started on a broker nobody has used yet (a fresh CI machine) must log no error: its topics are led and
its consumer groups have a coordinator before any consumer starts. A single-node cluster of the test's own is the
only way to get a broker whose offsets topic does not exist yet."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from guichet_common.kafka_admin import ensure_topics, wait_for_group_coordinator
from guichet_common.topics import TopicSpec
from guichet_deploy.kafka_cluster import start_cluster

pytestmark = pytest.mark.integration


class ErrorLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


async def test_consumers_starting_on_a_fresh_broker_log_no_error(infra, tmp_path: Path) -> None:
    cluster = await start_cluster(tmp_path / "kafka", 1)
    errors = ErrorLines()
    aiokafka_log = logging.getLogger("aiokafka")
    try:
        names = await ensure_topics(
            cluster.bootstrap, partitions=6, specs=tuple(TopicSpec(f"fresh.t{i}") for i in range(8))
        )
        await wait_for_group_coordinator(cluster.bootstrap)
        aiokafka_log.addHandler(errors)  # from here on: what the services would log
        consumers = [
            AIOKafkaConsumer(
                name, bootstrap_servers=cluster.bootstrap, group_id=f"fresh-{index}", auto_offset_reset="earliest"
            )
            for index, name in enumerate(names)
        ]
        try:
            for consumer in consumers:
                await consumer.start()
            for consumer in consumers:
                await consumer.getmany(timeout_ms=2_000)
                assert consumer.assignment(), "the consumer joined its group"
        finally:
            for consumer in consumers:
                await consumer.stop()
    finally:
        aiokafka_log.removeHandler(errors)
        cluster.stop()
    assert errors.lines == []
