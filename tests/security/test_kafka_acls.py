"""Each service, logged in as its own SCRAM principal on a broker that denies by default, may use its own topics
and consumer groups and nothing else; and the real services run on nothing more than those grants.

The broker is a private one (guichet_deploy.kafka_secure, the `secured` fixture of conftest.py): the shared test
broker stays PLAINTEXT.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import GroupAuthorizationFailedError, KafkaConnectionError, TopicAuthorizationFailedError

from guichet_common.access import SERVICES, Grant, grants_for, principal
from guichet_common.contracts import EXAMPLES
from guichet_common.dead_letter_actions import DeadLetter, DeadLetterId, replay_dead_letter
from guichet_common.kafka_admin import TopicsMissingError, ensure_topics
from guichet_common.outbox import OutboxMessage, write_outbox
from guichet_common.outbox_set_aside import cancel_outbox_row
from guichet_common.set_aside import record_decision
from guichet_common.topics import ALL_TOPICS, TopicSpec, consumer_group, topic_names_with_dead_letters
from guichet_deploy.kafka_secure import SecuredKafka, add_acls
from guichet_deploy.postgres import drop_databases, provision_databases
from guichet_deploy.procs import free_port, stop_children

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "sec."  # the secured broker's, conftest.SECURED_PREFIX
EVERY_TOPIC = sorted(PREFIX + spec.name for spec in topic_names_with_dead_letters(ALL_TOPICS))


def granted(service: str, operation: str) -> list[str]:
    return sorted(g.name for g in grants_for(service, PREFIX) if g.resource == "topic" and operation in g.operations)


def denied(service: str, operation: str) -> list[str]:
    return sorted(set(EVERY_TOPIC) - set(granted(service, operation)))


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_writes_its_own_topics_and_no_other(secured: SecuredKafka, produce, service: str) -> None:
    options = secured.client_options(service)
    for topic in granted(service, "Write"):
        await produce(secured, options, topic)
    assert denied(service, "Write"), "every service must be kept out of some topic"
    for topic in denied(service, "Write"):
        with pytest.raises(TopicAuthorizationFailedError):
            await produce(secured, options, topic)


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_reads_its_own_topics_in_its_own_groups_and_nothing_else(
    secured: SecuredKafka, consume, service: str
) -> None:
    options = secured.client_options(service)
    mine = granted(service, "Read")
    for topic in mine:
        await consume(secured, options, topic, consumer_group(service, topic))
    for topic in denied(service, "Read"):  # other services' topics, and those this one only writes
        with pytest.raises(TopicAuthorizationFailedError):
            await consume(secured, options, topic, consumer_group(service, topic))
    others = [other for other in SERVICES if other != service]
    for other in others:  # its own topic, but in another service's group
        with pytest.raises(GroupAuthorizationFailedError):
            await consume(secured, options, mine[0], consumer_group(other, mine[0]))
    with pytest.raises(GroupAuthorizationFailedError):  # a group outside any prefix
        await consume(secured, options, mine[0], "adhoc-" + mine[0])


async def test_the_backoffice_reads_what_it_projects_and_writes_only_its_commands(
    secured: SecuredKafka, produce, consume
) -> None:
    """Issue 15, named: it projects claims.status.v1 (notifications' topic) but may neither write it nor its dead
    letters; it never reads a portal's claims; it sends its commands; it reads dead letters without replaying."""
    options = secured.client_options("backoffice")
    for topic in ("claims.status.v1", "payments.issued.v1", "claims.submitted.v1.dlq"):
        await consume(secured, options, PREFIX + topic, consumer_group("backoffice", PREFIX + topic))
    for topic in ("backoffice.review-decisions.v1", "backoffice.payments-commands.v1"):
        await produce(secured, options, PREFIX + topic)
    with pytest.raises(TopicAuthorizationFailedError):
        await consume(secured, options, PREFIX + "claims.submitted.v1", consumer_group("backoffice", "claims"))
    for topic in ("claims.status.v1", "claims.status.v1.dlq", "claims.status.v1.replay", "claims.submitted.v1.dlq"):
        with pytest.raises(TopicAuthorizationFailedError):
            await produce(secured, options, PREFIX + topic)


async def test_a_wrong_password_is_refused(secured: SecuredKafka, produce) -> None:
    options = secured.client_options("intake")
    topic = granted("intake", "Write")[0]
    await produce(secured, options, topic)  # the same call with the right password works
    with pytest.raises(KafkaConnectionError):
        await produce(secured, {**options, "sasl_plain_password": "not-" + options["sasl_plain_password"]}, topic)
    log = secured.layout.log.read_text(errors="replace")
    assert "Failed authentication" in log and "invalid credentials" in log


async def test_the_admin_principal_is_not_anonymous(secured: SecuredKafka, produce) -> None:
    """No credentials at all: the SASL listener does not even let the client in."""
    with pytest.raises(KafkaConnectionError):
        await produce(secured, {}, EVERY_TOPIC[0])


async def test_a_service_starts_on_topics_the_platform_made_without_the_right_to_create(secured: SecuredKafka) -> None:
    """ensure_topics as a service: every topic exists, it sees only its own, creates nothing and does not fail."""
    names = await ensure_topics(
        secured.bootstrap, prefix=PREFIX, partitions=3, client_options=secured.client_options("intake")
    )
    assert names == EVERY_TOPIC


async def test_a_missing_topic_the_service_may_not_create_is_named(secured: SecuredKafka) -> None:
    ghost = TopicSpec("ghost.v1")  # granted to intake, never created by the platform
    await add_acls(secured, principal("intake"), [Grant("topic", PREFIX + ghost.name, "literal", ("Describe", "Read"))])
    with pytest.raises(TopicsMissingError, match=r"sec\.ghost\.v1"):
        await ensure_topics(
            secured.bootstrap, prefix=PREFIX, specs=(ghost,), client_options=secured.client_options("intake")
        )


# --- The real services, each on its own principal --------------------------------------------------------------


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
async def secured_services(
    secured: SecuredKafka, infra, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, Any]]:
    """The services as processes (the back-office too), each with its own Kafka principal and its own database
    (suffix `_sec`)."""
    if infra.pg_admin_dsn is None:
        pytest.skip("needs the PostgreSQL admin DSN to make throwaway databases")
    suffix = f"_sec{os.getpid()}"
    urls = await provision_databases(infra.pg_admin_dsn, SERVICES, suffix=suffix)
    base = tmp_path_factory.mktemp("secured-services")
    logs = base / "logs"
    logs.mkdir()
    smtp_port = free_port()
    ports = {service: free_port() for service in SERVICES}
    common = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")},
        "GUICHET_TOPIC_PREFIX": PREFIX,
        "GUICHET_TOPIC_PARTITIONS": "3",
        "LOG_FORMAT": "json",
        "GUICHET_GAUGES_EVERY_S": "1",
        "ELIGIBILITY_REGISTRY_GRACE_S": "2",
        "PAYMENTS_BATCH_MAX_AGE_S": "0.5",
        "PAYMENTS_FILES_DIR": str(base / "sepa"),
        "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
        "NOTIFICATIONS_SMTP_PORT": str(smtp_port),
    }
    envs = {
        service: {
            **common,
            **secured.service_env(service),
            f"{service.upper()}_DATABASE_URL": urls[service],  # its own database only
            f"{service.upper()}_HTTP_PORT": str(ports[service]),
        }
        for service in SERVICES
    }
    sink = ["guichet_deploy.smtp_sink", "--port", str(smtp_port), "--maildir", str(base / "mail")]
    processes = {"smtp": _spawn(sink, common, logs / "smtp.log")}
    processes |= {name: _spawn([f"guichet_{name}"], envs[name], logs / f"{name}.log") for name in SERVICES}
    try:
        yield {"envs": envs, "ports": ports, "logs": logs, "processes": processes, "maildir": base / "mail"}
    finally:
        stop_children(processes.values())
        await drop_databases(infra.pg_admin_dsn, SERVICES, suffix=suffix)


def _spawn(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with log_path.open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", *args], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)


def _ready(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except OSError:
        return 0, {}


async def _until_ready(running: dict[str, Any], timeout_s: float = 90.0) -> dict[str, tuple[int, dict]]:
    deadline = time.monotonic() + timeout_s
    while True:
        answers = {service: await asyncio.to_thread(_ready, port) for service, port in running["ports"].items()}
        dead = [name for name, p in running["processes"].items() if p.poll() is not None]
        if all(code == 200 for code, _ in answers.values()) or dead or time.monotonic() > deadline:
            assert not dead, f"exited: {dead}\n{_log_tail(running['logs'])}"
            return answers
        await asyncio.sleep(0.5)


def _log_tail(logs: Path) -> str:
    return "\n".join(f"== {p.name}\n" + p.read_text(errors="replace")[-3000:] for p in sorted(logs.glob("*.log")))


async def test_every_service_starts_and_is_ready_with_only_its_grants(secured_services: dict[str, Any]) -> None:
    answers = await _until_ready(secured_services)
    assert {s: code for s, (code, _) in answers.items()} == dict.fromkeys(SERVICES, 200), answers
    # The command-line probe asks the same question with the same settings (KAFKA_SASL_PASSWORD_FILE included).
    probe = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "guichet_common.readiness", "intake"],
        env=secured_services["envs"]["intake"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert probe.returncode == 0, probe.stdout + probe.stderr
    assert json.loads(probe.stdout)["broker"] == "ok"


async def test_a_claim_goes_through_the_services_on_their_grants_and_into_the_backoffice(
    secured: SecuredKafka, secured_services: dict[str, Any]
) -> None:
    await _until_ready(secured_services)
    registry, claim = example("registry.companies.v1"), example("claims.submitted.v1")
    claim_id = claim["claim"]["claim_id"]
    admin = secured.admin_options()  # the portal and the registry import stand in as the platform
    await _publish(secured, admin, PREFIX + "registry.companies.v1", registry["siren"].encode(), registry)
    await _publish(secured, admin, PREFIX + "claims.submitted.v1", claim["claim"]["applicant"]["siren"].encode(), claim)

    statuses = await _statuses(secured, admin, claim_id, until="payment_sent")
    assert statuses == ["received", "approved", "payment_scheduled", "payment_sent"], _log_tail(
        secured_services["logs"]
    )
    deadline = time.monotonic() + 30
    while not _mails(secured_services["maildir"]) and time.monotonic() < deadline:
        await asyncio.sleep(0.3)
    assert _mails(secured_services["maildir"]), "notifications sent no mail"
    # The back-office projected it, from topics others own, on its read-only grants.
    assert await _backoffice_status(secured_services, claim_id, "payment_sent") == "payment_sent", _log_tail(
        secured_services["logs"]
    )
    logs = _log_tail(secured_services["logs"])
    assert "TopicAuthorizationFailed" not in logs and "GroupAuthorizationFailed" not in logs
    for credentials in secured.principals.values():
        assert credentials.password not in logs


async def _publish(secured: SecuredKafka, options: Mapping[str, Any], topic: str, key: bytes, value: dict) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=secured.bootstrap, acks="all", **options)
    await producer.start()
    try:
        await producer.send_and_wait(topic, json.dumps(value).encode(), key=key)
    finally:
        await producer.stop()


async def _statuses(
    secured: SecuredKafka, options: Mapping[str, Any], claim_id: str, *, until: str, timeout_s: float = 90.0
) -> list[str]:
    consumer = AIOKafkaConsumer(
        PREFIX + "claims.status.v1",
        bootstrap_servers=secured.bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **options,
    )
    await consumer.start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + timeout_s
        while until not in seen and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            seen += [json.loads(r.value)["status"] for rs in batch.values() for r in rs if r.key == claim_id.encode()]
        return seen
    finally:
        await consumer.stop()


async def _backoffice_status(running: dict[str, Any], claim_id: str, wanted: str, timeout_s: float = 60.0) -> str:
    """The claim's status in the back-office's read model, once it is `wanted` or the time is up."""
    conn = await asyncpg.connect(running["envs"]["backoffice"]["BACKOFFICE_DATABASE_URL"])
    try:
        deadline = time.monotonic() + timeout_s
        while (status := await conn.fetchval("SELECT status FROM claims WHERE claim_id = $1", claim_id)) != wanted:
            if time.monotonic() > deadline:
                return str(status)
            await asyncio.sleep(0.5)
        return wanted
    finally:
        await conn.close()


def _mails(maildir: Path) -> list[Path]:
    return list((maildir / "new").glob("*")) if (maildir / "new").exists() else []


def test_the_secured_broker_denies_by_default(secured: SecuredKafka) -> None:
    properties = secured.layout.config.read_text()
    assert "allow.everyone.if.no.acl.found=false" in properties
    assert "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer" in properties
    assert "PLAINTEXT://" not in properties.replace("SASL_PLAINTEXT://", "")


# --- Replays and refused rows under the grants (issue 13) -----------------------------------------------------


async def _records_with(
    secured: SecuredKafka, topic: str, marker: bytes, *, count: int, timeout_s: float = 90.0
) -> list[ConsumerRecord]:
    """Records of `topic` (read as the platform's admin) whose value holds `marker`, once there are `count`."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=secured.bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **secured.admin_options(),
    )
    await consumer.start()
    found: list[ConsumerRecord] = []
    try:
        deadline = time.monotonic() + timeout_s
        while len(found) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            found += [r for rs in batch.values() for r in rs if marker in (r.value or b"")]
        return found
    finally:
        await consumer.stop()


async def test_a_replayed_dead_letter_reaches_its_consumer_on_the_owners_grants(
    secured: SecuredKafka, secured_services: dict[str, Any]
) -> None:
    """A replay queues the record in intake's outbox; intake publishes it to claims.submitted.v1.replay
    (it may only read claims.submitted.v1) and consumes it: here the record is still unreadable, so its second dead
    letter, coming from the replay topic, proves the way round."""
    await _until_ready(secured_services)
    marker = uuid.uuid4().hex.encode()
    producer = AIOKafkaProducer(bootstrap_servers=secured.bootstrap, acks="all", **secured.admin_options())
    await producer.start()
    try:  # a portal's record intake cannot read
        await producer.send_and_wait(PREFIX + "claims.submitted.v1", b"not json " + marker, key=b"replay-acl")
    finally:
        await producer.stop()
    dlq = PREFIX + "claims.submitted.v1.dlq"
    [first] = await _records_with(secured, dlq, marker, count=1)
    dead = DeadLetter(DeadLetterId(dlq, first.partition, first.offset), first.key, first.value, tuple(first.headers))

    # What intake does when it applies the back-office's replay command (operator_command_targets), on its database.
    conn = await asyncpg.connect(secured_services["envs"]["intake"]["INTAKE_DATABASE_URL"])
    try:
        async with conn.transaction():
            await replay_dead_letter(conn, dead, "alice", "proving replays under the ACLs")
        second = (await _records_with(secured, dlq, marker, count=2))[1:]
        assert second, "the replay never reached intake\n" + _log_tail(secured_services["logs"])
        again = second[0]
        replayed = DeadLetter(DeadLetterId(dlq, again.partition, again.offset), None, None, tuple(again.headers))
        assert replayed.original_topic == PREFIX + "claims.submitted.v1.replay"
        assert replayed.header("replay.of") == str(dead.id)
        assert await conn.fetchval("SELECT count(*) FROM set_aside_items") == 0
    finally:
        await conn.close()
    assert "TopicAuthorizationFailed" not in (secured_services["logs"] / "intake.log").read_text(errors="replace")


async def test_a_row_the_service_may_not_write_is_held_and_the_rows_behind_it_go_out(
    secured: SecuredKafka, secured_services: dict[str, Any]
) -> None:
    await _until_ready(secured_services)
    marker = uuid.uuid4().hex.encode()
    conn = await asyncpg.connect(secured_services["envs"]["intake"]["INTAKE_DATABASE_URL"])
    try:
        async with conn.transaction():
            await write_outbox(
                conn,
                [
                    OutboxMessage(PREFIX + "payments.issued.v1", b"k", b"forbidden " + marker),  # payments' topic
                    OutboxMessage(PREFIX + "claims.submitted.v1.dlq", b"k", b"behind it " + marker),
                ],
            )
        assert await _records_with(secured, PREFIX + "claims.submitted.v1.dlq", marker, count=1)
        deadline = time.monotonic() + 30
        while not (held := await conn.fetch("SELECT * FROM set_aside_items WHERE kind = 'outbox_row'")):
            assert time.monotonic() < deadline, "the refused row was not set aside"
            await asyncio.sleep(0.3)
        [item] = held
        assert item["state"] == "held" and "TopicAuthorizationFailed" in item["reason"]
        row = await conn.fetchrow("SELECT topic, held FROM outbox WHERE id = $1", int(item["item_id"]))
        assert (row["topic"], row["held"]) == (PREFIX + "payments.issued.v1", True)
        async with conn.transaction():  # what `guichet set-aside cancel` does, so later tests start clean
            await record_decision(conn, "outbox_row", item["item_id"], "cancelled", "alice", "no such right")
            await cancel_outbox_row(conn, item["item_id"])
    finally:
        await conn.close()
    log = (secured_services["logs"] / "intake.log").read_text(errors="replace")
    assert log.count('"item_set_aside"') == 1
