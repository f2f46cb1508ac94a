"""Kafka and PostgreSQL as containers, for machines whose Docker engine answers (testcontainers' API).

Not exercised by this package's tests: the machines they run on have no Docker engine.
"""

from __future__ import annotations

import contextlib
from typing import Any

from guichet_deploy.postgres import ADMIN_ROLE, new_password

KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.0"  # Apache Kafka 3.9, like the local broker
POSTGRES_IMAGE = "postgres:15-alpine"


def engine_answers(timeout_s: float = 2.0) -> bool:
    try:
        import docker

        client = docker.from_env(timeout=timeout_s)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # no engine, no socket, no permission: all mean "not usable"
        return False


def ensure_containers(section: dict[str, Any]) -> tuple[str, str]:
    """Reuse the recorded containers if both still run, else start fresh ones; return (bootstrap, admin DSN)."""
    if _running(section.get("kafka_container")) and _running(section.get("postgres_container")):
        return section["kafka_bootstrap"], section["admin_dsn"]
    remove_containers(section)

    from testcontainers.core.config import testcontainers_config

    try:
        from testcontainers.community.kafka import KafkaContainer
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # testcontainers < 4.14
        from testcontainers.kafka import KafkaContainer
        from testcontainers.postgres import PostgresContainer

    # `up` returns while the containers keep running, so Ryuk must not reap them when this process exits;
    # `down` (remove_containers) removes them instead.
    testcontainers_config.ryuk_disabled = True
    kafka = (
        KafkaContainer(KAFKA_IMAGE)
        .with_kraft()
        .with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
        .with_env("KAFKA_LOG_RETENTION_HOURS", "72")
    )
    kafka.start(timeout=120)
    section["kafka_container"] = kafka.get_wrapped_container().id
    section["kafka_bootstrap"] = kafka.get_bootstrap_server()

    postgres = PostgresContainer(
        POSTGRES_IMAGE, username=ADMIN_ROLE, password=new_password(), dbname="postgres", driver=None
    ).with_command("postgres -c max_connections=200")
    postgres.start()
    section["postgres_container"] = postgres.get_wrapped_container().id
    section["admin_dsn"] = postgres.get_connection_url()
    return section["kafka_bootstrap"], section["admin_dsn"]


def remove_containers(section: dict[str, Any]) -> None:
    for key in ("kafka_container", "postgres_container"):
        if container_id := section.pop(key, None):
            with contextlib.suppress(Exception):
                _client().containers.get(container_id).remove(force=True)


def _running(container_id: str | None) -> bool:
    if not container_id:
        return False
    try:
        return _client().containers.get(container_id).status == "running"
    except Exception:
        return False


def _client():  # type: ignore[no-untyped-def]
    import docker

    return docker.from_env(timeout=10)
