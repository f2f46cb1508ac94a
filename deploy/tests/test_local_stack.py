"""The local stack for real: a KRaft broker, a PostgreSQL server and the SMTP sink as processes."""

from __future__ import annotations

import asyncio
import json
import mailbox
import shlex
import smtplib
import subprocess
import sys
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from guichet_common.topics import topic_names_with_dead_letters
from guichet_deploy.infra import SERVICES, Infra, ensure_infra, stop_infra
from guichet_deploy.postgres import drop_databases, provision_databases
from guichet_deploy.procs import pid_alive, port_answers

pytestmark = pytest.mark.integration


def _recorded(state_dir: Path) -> dict[str, tuple[int, int]]:
    state = json.loads((state_dir / "state.json").read_text())
    return {name: (state[name]["port"], state[name]["pid"]) for name in ("kafka", "postgres", "smtp")}


async def test_the_local_stack_runs_with_the_project_topics(local_infra: Infra) -> None:
    assert local_infra.source == "local"
    for port, pid in _recorded(local_infra.state_dir).values():
        assert port_answers(port) and pid_alive(pid)
    admin = AIOKafkaAdminClient(bootstrap_servers=local_infra.kafka_bootstrap)
    await admin.start()
    try:
        topics = set(await admin.list_topics())
    finally:
        await admin.close()
    assert {spec.name for spec in topic_names_with_dead_letters()} <= topics


async def test_a_message_round_trips_through_the_broker(local_infra: Infra) -> None:
    topic = f"test.round-trip.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=local_infra.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=local_infra.kafka_bootstrap, acks="all")
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=local_infra.kafka_bootstrap, group_id=f"test-{topic}", auto_offset_reset="earliest"
    )
    await producer.start()
    await consumer.start()
    try:
        await producer.send_and_wait(topic, b"hello", key=b"claim-1")
        record = await asyncio.wait_for(consumer.getone(), timeout=30)
    finally:
        await producer.stop()
        await consumer.stop()
    assert (record.key, record.value) == (b"claim-1", b"hello")


async def test_each_service_reaches_its_own_database_only(local_infra: Infra) -> None:
    assert set(local_infra.database_urls) == set(SERVICES)
    for service, dsn in local_infra.database_urls.items():
        connection = await asyncpg.connect(dsn)
        try:
            assert await connection.fetchval("SELECT current_database()") == f"guichet_{service}"
            await connection.execute("CREATE TABLE IF NOT EXISTS owned_here (id int)")
        finally:
            await connection.close()
    intake_role_on_payments_db = local_infra.database_urls["intake"].rsplit("/", 1)[0] + "/guichet_payments"
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied for database"):
        await asyncpg.connect(intake_role_on_payments_db)


async def test_test_databases_are_provisioned_and_dropped(local_infra: Infra) -> None:
    assert local_infra.pg_admin_dsn is not None
    suffix = f"_t{uuid.uuid4().hex[:6]}"
    first = await provision_databases(local_infra.pg_admin_dsn, ["payments"], suffix)
    second = await provision_databases(local_infra.pg_admin_dsn, ["payments"], suffix)  # idempotent, new password

    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(first["payments"])
    connection = await asyncpg.connect(second["payments"])
    assert await connection.fetchval("SELECT current_user") == f"guichet_payments{suffix}"
    await connection.close()

    await drop_databases(local_infra.pg_admin_dsn, ["payments"], suffix)
    with pytest.raises(asyncpg.InvalidPasswordError):  # the role is gone too
        await asyncpg.connect(second["payments"])


def test_the_smtp_sink_stores_mail(local_infra: Infra) -> None:
    assert local_infra.maildir is not None
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "guichet@example.org", "someone@example.com", "Paid"
    message.set_content("Your grant was paid.")
    subject = f"Paid {uuid.uuid4().hex[:6]}"
    message.replace_header("Subject", subject)

    with smtplib.SMTP(local_infra.smtp_host, local_infra.smtp_port, timeout=10) as client:
        client.send_message(message)

    assert subject in [stored["Subject"] for stored in mailbox.Maildir(local_infra.maildir).values()]


def test_ensure_infra_again_reuses_ports_and_processes(local_infra: Infra) -> None:
    before = _recorded(local_infra.state_dir)

    again = ensure_infra(local_infra.state_dir)

    assert _recorded(local_infra.state_dir) == before
    assert again.service_env() == local_infra.service_env()


async def test_ensure_infra_works_from_threads_and_inside_an_event_loop(local_infra: Infra) -> None:
    from_threads = await asyncio.gather(*(asyncio.to_thread(ensure_infra, local_infra.state_dir) for _ in range(2)))
    from_the_loop = ensure_infra(local_infra.state_dir)  # blocks this loop briefly; runs on a helper thread

    assert {infra.kafka_bootstrap for infra in [*from_threads, from_the_loop]} == {local_infra.kafka_bootstrap}


def test_addresses_in_the_environment_are_used_as_given(
    local_infra: Infra, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GUICHET_INFRA", "auto")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", local_infra.kafka_bootstrap)
    for name in ("intake", "eligibility", "payments"):
        monkeypatch.setenv(f"{name.upper()}_DATABASE_URL", local_infra.database_urls[name])
    monkeypatch.setenv("GUICHET_PG_ADMIN_DSN", local_infra.pg_admin_dsn or "")
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(local_infra.smtp_port))
    try:
        infra = ensure_infra(tmp_path / "env-state")

        assert infra.source == "env"
        assert infra.maildir is None and infra.smtp_port == local_infra.smtp_port
        assert infra.database_urls["intake"] == local_infra.database_urls["intake"]
        assert set(infra.database_urls) == set(SERVICES)  # the others' were created through the admin DSN
        assert not (tmp_path / "env-state" / "logs" / "smtp.log").exists()
    finally:
        stop_infra(tmp_path / "env-state")
        monkeypatch.undo()
        ensure_infra(local_infra.state_dir)  # gives those roles back the passwords the local stack recorded


def test_the_cli_prints_shell_assignments(local_infra: Infra, subprocess_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "guichet_deploy", "env"],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assignments = dict(shlex.split(line)[0].split("=", 1) for line in result.stdout.splitlines())
    assert assignments["KAFKA_BOOTSTRAP_SERVERS"] == local_infra.kafka_bootstrap
    assert assignments["PAYMENTS_DATABASE_URL"] == local_infra.database_urls["payments"]
    assert assignments["SMTP_PORT"] == str(local_infra.smtp_port)
    assert assignments["GUICHET_MAILDIR"] == str(local_infra.maildir)
    assert assignments["BACKOFFICE_DATABASE_URL"] == local_infra.database_urls["backoffice"]
    assert assignments["BACKOFFICE_URL"] == ""  # no back-office started by this module: no address to give
    assert assignments["GATEWAY_URL"] == ""  # nor a gateway
    assert assignments["GATEWAY_DATABASE_URL"] == local_infra.database_urls["gateway"]
    assert "***" not in result.stdout and local_infra.pg_admin_dsn not in result.stderr


def test_a_stopped_stack_restarts_quickly_on_the_same_ports(local_infra: Infra) -> None:
    before = _recorded(local_infra.state_dir)
    stop_infra(local_infra.state_dir)
    assert not any(pid_alive(pid) for _, pid in before.values())

    started = time.monotonic()
    restarted = ensure_infra(local_infra.state_dir)
    elapsed = time.monotonic() - started

    assert elapsed < 30
    assert restarted.service_env() == local_infra.service_env()
    assert {name: port for name, (port, _) in _recorded(local_infra.state_dir).items()} == {
        name: port for name, (port, _) in before.items()
    }
