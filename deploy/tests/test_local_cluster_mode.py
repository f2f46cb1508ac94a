"""`make up` on a 3-node KRaft cluster with two instances of every service (GUICHET_KAFKA_NODES=3,
GUICHET_INSTANCES=2): the launcher path an operator takes to try the scaled-out shape on a laptop."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from guichet_deploy.infra import SERVICES, Infra, ensure_infra, stop_infra
from guichet_deploy.kafka_cluster import broker_count
from guichet_deploy.services import http_ports, service_status, start_services, stop_services

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]  # a 3-broker cluster: `make chaos` runs it (`pytest -m chaos`)

OUTSIDE = ("KAFKA_BOOTSTRAP_SERVERS", "GUICHET_PG_ADMIN_DSN", "SMTP_HOST", "SMTP_PORT", "GUICHET_TOPIC_PREFIX")


@pytest.fixture(scope="module")
def scaled_out(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    state_dir = tmp_path_factory.mktemp("guichet-cluster-state")
    with pytest.MonkeyPatch.context() as patch:
        for name in (*OUTSIDE, *(f"{s.upper()}_DATABASE_URL" for s in SERVICES)):
            patch.delenv(name, raising=False)
        patch.setenv("GUICHET_INFRA", "local")
        patch.setenv("GUICHET_STATE_DIR", str(state_dir))
        patch.setenv("GUICHET_KAFKA_NODES", "3")
        patch.setenv("GUICHET_INSTANCES", "2")
        try:
            infra = ensure_infra(state_dir)
            start_services(infra, settle_s=1.0)
            yield infra
        finally:
            stop_services(state_dir)
            stop_infra(state_dir, purge=True)


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


async def test_three_brokers_replicated_topics_and_two_instances_of_each_service(scaled_out: Infra) -> None:
    assert len(scaled_out.kafka_bootstrap.split(",")) == 3
    assert await broker_count(scaled_out.kafka_bootstrap) == 3
    admin = AIOKafkaAdminClient(bootstrap_servers=scaled_out.kafka_bootstrap)
    await admin.start()
    try:
        [claims] = await admin.describe_topics(["claims.submitted.v1"])
        assert {len(p["replicas"]) for p in claims["partitions"]} == {3}
    finally:
        await admin.close()

    running = {name for name, status in service_status(scaled_out.state_dir).items() if status.running}
    assert running == {f"{service}-{i}" for service in SERVICES for i in (1, 2)}
    ports = http_ports(scaled_out.state_dir)
    for _ in range(120):
        if all(ready(ports[name]) for name in running):
            break
        await asyncio.sleep(1.0)
    assert all(ready(ports[name]) for name in running), {name: ready(ports[name]) for name in running}
    targets = json.loads((Path(scaled_out.state_dir) / "prometheus" / "targets.json").read_text())
    assert {t["labels"]["instance_name"] for t in targets} == running
