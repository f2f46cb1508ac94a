"""A portal that publishes on Kafka, logged in as `guichet-portal-<name>` on the secured broker (conftest.py), may
write its own door `portals.<name>.claims.submitted.v1` and read the statuses, and nothing else: not another
portal's door, not the shared claims.submitted.v1 (issue 17). With intake refusing, on a door, any claim whose
`source` is not that door's portal (services/intake/tests/integration/test_portal_doors.py), a portal principal
cannot publish a claim in another portal's name."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError

from guichet_common.access import portal_principal_name
from guichet_common.contracts import EXAMPLES
from guichet_common.topics import CLAIMS_STATUS, CLAIMS_SUBMITTED, consumer_group, portal_claims_topic
from guichet_deploy.kafka_secure import SecuredKafka
from guichet_deploy.postgres import drop_databases, provision_databases
from guichet_deploy.procs import free_port, stop_children

pytestmark = pytest.mark.e2e
BETA = portal_principal_name("beta")
ROOT = Path(__file__).resolve().parents[2]


def door(prefix: str, portal: str) -> str:
    return prefix + portal_claims_topic(portal).name


async def test_beta_publishes_on_its_own_door(secured: SecuredKafka, produce, secured_prefix: str) -> None:
    await produce(secured, secured.client_options(BETA), door(secured_prefix, "beta"))


async def test_beta_cannot_write_alpha_s_door_nor_the_shared_claims_topic(
    secured: SecuredKafka, produce, secured_prefix: str
) -> None:
    for topic in (door(secured_prefix, "alpha"), secured_prefix + CLAIMS_SUBMITTED.name):
        with pytest.raises(TopicAuthorizationFailedError):
            await produce(secured, secured.client_options(BETA), topic)


async def test_beta_writes_no_status_and_none_of_its_door_s_dead_letters_or_replays(
    secured: SecuredKafka, produce, secured_prefix: str
) -> None:
    own = portal_claims_topic("beta")
    for name in (CLAIMS_STATUS.name, own.dead_letter(), own.replay()):
        with pytest.raises(TopicAuthorizationFailedError):
            await produce(secured, secured.client_options(BETA), secured_prefix + name)


async def test_beta_follows_the_statuses_in_groups_of_its_own_only(
    secured: SecuredKafka, consume, secured_prefix: str
) -> None:
    statuses = secured_prefix + CLAIMS_STATUS.name
    await consume(secured, secured.client_options(BETA), statuses, f"guichet-{BETA}.{secured_prefix}statuses")
    with pytest.raises(GroupAuthorizationFailedError):
        await consume(secured, secured.client_options(BETA), statuses, consumer_group("notifications", statuses))
    with pytest.raises(TopicAuthorizationFailedError):
        await consume(secured, secured.client_options(BETA), door(secured_prefix, "alpha"), None)


async def test_intake_reads_every_door_in_its_own_groups(secured: SecuredKafka, consume, secured_prefix: str) -> None:
    for portal in ("alpha", "beta"):
        topic = door(secured_prefix, portal)
        await consume(secured, secured.client_options("intake"), topic, consumer_group("intake", topic))


# --- Intake on its own principal, consuming the doors ----------------------------------------------------------


@pytest.fixture
async def secured_intake(
    secured: SecuredKafka, infra, secured_prefix: str, kafka_portals: tuple[str, ...], tmp_path: Path
) -> AsyncIterator[Path]:
    """Intake as a process, logged in as guichet-intake, with GUICHET_KAFKA_PORTALS=alpha,beta; its log's path."""
    if infra.pg_admin_dsn is None:
        pytest.skip("needs the PostgreSQL admin DSN to make a throwaway database")
    suffix = f"_secdoor{os.getpid()}"
    urls = await provision_databases(infra.pg_admin_dsn, ("intake",), suffix=suffix)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")},
        **secured.service_env("intake"),
        "GUICHET_TOPIC_PREFIX": secured_prefix,
        "GUICHET_TOPIC_PARTITIONS": "3",
        "GUICHET_KAFKA_PORTALS": ",".join(kafka_portals),
        "INTAKE_DATABASE_URL": urls["intake"],
        "INTAKE_HTTP_PORT": str(free_port()),
        "LOG_FORMAT": "json",
    }
    log_path = tmp_path / "intake.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: ASYNC220 (Popen returns at once; the service runs beside the test)
            [sys.executable, "-m", "guichet_intake"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
    try:
        yield log_path
    finally:
        stop_children([process])
        await drop_databases(infra.pg_admin_dsn, ("intake",), suffix=suffix)


@pytest.mark.timeout(240)
async def test_a_claim_beta_sends_in_alpha_s_name_is_refused_and_beta_s_own_is_received(
    secured: SecuredKafka, secured_intake: Path, secured_prefix: str
) -> None:
    """The done-when of issue 17 end to end on the secured broker: beta's principal can only reach intake through
    its door, and there a claim naming alpha is refused SOURCE_MISMATCH in beta's name."""
    impostor, genuine = _claim("alpha"), _claim("beta")
    producer = AIOKafkaProducer(
        bootstrap_servers=secured.bootstrap, enable_idempotence=True, **secured.client_options(BETA)
    )
    await producer.start()
    try:
        for event in (impostor, genuine):
            key = event["claim"]["applicant"]["siren"].encode()
            await producer.send_and_wait(door(secured_prefix, "beta"), json.dumps(event).encode(), key=key)
    finally:
        await producer.stop()
    wanted = {impostor["claim"]["claim_id"], genuine["claim"]["claim_id"]}
    last = await _last_statuses(secured, secured_prefix, wanted, timeout_s=180)
    log_tail = secured_intake.read_text(errors="replace")[-3000:]
    assert last.get(impostor["claim"]["claim_id"]) == ("refused", ["SOURCE_MISMATCH"], "beta"), log_tail
    assert last.get(genuine["claim"]["claim_id"]) == ("received", [], "beta"), log_tail
    assert "TopicAuthorizationFailed" not in log_tail and "GroupAuthorizationFailed" not in log_tail


def _claim(source: str) -> dict:
    event = copy.deepcopy(json.loads((EXAMPLES / "claims.submitted.v1.json").read_text(encoding="utf-8")))
    event["event_id"] = str(uuid.uuid4())
    event["source"] = source
    event["claim"]["claim_id"] = f"CFN-SECDOOR-{uuid.uuid4().hex[:8]}"
    return event


async def _last_statuses(
    secured: SecuredKafka, prefix: str, claim_ids: set[str], *, timeout_s: float
) -> dict[str, tuple[str, list[str], str | None]]:
    """Each claim's last status (status, reasons, source), read as the platform, once none is just `received`
    while it waits for its refusal, or the time is up."""
    consumer = AIOKafkaConsumer(
        prefix + CLAIMS_STATUS.name,
        bootstrap_servers=secured.bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **secured.admin_options(),
    )
    await consumer.start()
    last: dict[str, tuple[str, list[str], str | None]] = {}
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for record in records:
                    # Other tests on this shared broker publish statuses too, hostile ones on purpose: read only
                    # well-formed records of our own claims.
                    try:
                        value = json.loads(record.value or b"")
                    except ValueError:
                        continue
                    if isinstance(value, dict) and value.get("claim_id") in claim_ids:
                        last[value["claim_id"]] = (value["status"], value["reasons"], value.get("source"))
            if len(last) == len(claim_ids) and sum(status == "refused" for status, *_ in last.values()) == 1:
                break
        return last
    finally:
        await consumer.stop()
