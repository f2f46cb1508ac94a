"""A single-node KRaft broker that authenticates every client (SASL/SCRAM-SHA-512) and authorizes with ACLs.

What a production cluster does, small enough for a test: one principal per service and per external system
(`guichet_common.access.PRINCIPALS`: finance's too), each allowed only its own topics and consumer groups, and
`admin`, the platform, which creates topics and ACLs.
Passwords are generated at every start and live only in this process and in mode-600 files under the broker's
own folder (the broker needs its own, the ACL tool the admin's); nothing secret is logged or committed.

    kafka = await start_secured_broker(tmp_dir, principals=("intake", "finance", ...))
    await provision_topics_and_acls(kafka, prefix="sec.")
    ... kafka.client_options("intake"), kafka.service_env("intake") ...
    stop_secured_broker(kafka)
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from guichet_common.access import PRINCIPALS, Grant, grants_for, principal
from guichet_common.kafka_admin import ensure_topics
from guichet_deploy import kafka
from guichet_deploy.procs import ProcessStartError, free_port, log_tail, pid_alive, port_answers, stop_process

MECHANISM = "SCRAM-SHA-512"
PROTOCOL = "SASL_PLAINTEXT"
ADMIN = "admin"
# The broker's own principal, on the inter-broker listener (SCRAM) and the controller listener (PLAIN: KRaft
# cannot use SCRAM there, the controller needs the credentials before it has read them from the metadata log).
BROKER = "broker"
ACL_TOOL = "kafka.admin.AclCommand"  # Kafka 3.9; org.apache.kafka.tools.AclCommand from 4.0

log = structlog.get_logger()


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)

    @classmethod
    def generated(cls, username: str) -> Credentials:
        # Hex only: the value travels through StorageTool's `[name=...,password=...]` syntax and JAAS quotes.
        return cls(username, secrets.token_hex(24))


@dataclass(frozen=True)
class SecuredKafka:
    bootstrap: str
    layout: kafka.KafkaLayout
    pid: int
    admin: Credentials
    principals: Mapping[str, Credentials]  # service or external system (`finance`) -> its principal's credentials

    @property
    def folder(self) -> Path:
        return self.layout.state_dir

    def options_for(self, credentials: Credentials) -> dict[str, Any]:
        """aiokafka keyword arguments that log in as `credentials`."""
        return {
            "security_protocol": PROTOCOL,
            "sasl_mechanism": MECHANISM,
            "sasl_plain_username": credentials.username,
            "sasl_plain_password": credentials.password,
        }

    def admin_options(self) -> dict[str, Any]:
        return self.options_for(self.admin)

    def client_options(self, name: str) -> dict[str, Any]:
        """aiokafka keyword arguments that log in as the principal of `name` (a service, or `finance`)."""
        return self.options_for(self.principals[name])

    def service_env(self, service: str) -> dict[str, str]:
        """The variables a service process needs to reach this broker as its own principal; the password goes
        through a mode-600 file (KAFKA_SASL_PASSWORD_FILE), not the environment other processes can read."""
        password_file = self.folder / "secrets" / f"{service}.password"
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "KAFKA_SECURITY_PROTOCOL": PROTOCOL,
            "KAFKA_SASL_MECHANISM": MECHANISM,
            "KAFKA_SASL_USERNAME": self.principals[service].username,
            "KAFKA_SASL_PASSWORD_FILE": str(password_file),
        }


async def start_secured_broker(folder: Path, principals: Iterable[str] = PRINCIPALS) -> SecuredKafka:
    """Start a fresh secured broker with its data under `folder` (which must be new or empty); return once it
    answers an authenticated metadata request. Stop it with `stop_secured_broker`."""
    layout = kafka.KafkaLayout(folder)
    layout.log.parent.mkdir(parents=True, exist_ok=True)
    lib = kafka.ensure_kafka_jars(folder / "logs" / "maven.log")
    port = free_port()
    controller_port = free_port(avoid={port})
    admin, broker = Credentials.generated(ADMIN), Credentials.generated(BROKER)
    users = {name: Credentials.generated(principal(name)) for name in principals}
    write_secured_properties(layout, port=port, controller_port=controller_port, broker=broker)
    scram_users = [admin, broker, *users.values()]
    kafka.format_storage(layout, lib, kafka.new_cluster_id(), extra_args=scram_format_args(scram_users))
    _write_secret_files(folder, users)
    pid = kafka.start_broker(layout, lib)
    secured = SecuredKafka(f"127.0.0.1:{port}", layout, pid, admin, users)
    _admin_config(secured)
    try:
        await wait_until_ready(secured)
    except BaseException:
        stop_secured_broker(secured)
        raise
    log.info(
        "secured_kafka_started", bootstrap=secured.bootstrap, principals=sorted(c.username for c in users.values())
    )
    return secured


def stop_secured_broker(secured: SecuredKafka, timeout_s: float = 30.0) -> None:
    stop_process(secured.pid, marker=kafka.broker_marker(secured.layout), timeout_s=timeout_s)


def write_secured_properties(
    layout: kafka.KafkaLayout, *, port: int, controller_port: int, broker: Credentials
) -> None:
    """kafka.py's single-node settings, with the listeners authenticated and an authorizer that denies by default."""
    kafka.write_server_properties(layout, port=port, controller_port=controller_port)
    settings = _read_properties(layout.config)
    settings.update(
        {
            "listeners": f"{PROTOCOL}://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            "advertised.listeners": f"{PROTOCOL}://127.0.0.1:{port}",
            "listener.security.protocol.map": f"{PROTOCOL}:{PROTOCOL},CONTROLLER:{PROTOCOL}",
            "inter.broker.listener.name": PROTOCOL,
            "sasl.enabled.mechanisms": MECHANISM,
            "sasl.mechanism.inter.broker.protocol": MECHANISM,
            f"listener.name.{PROTOCOL.lower()}.{MECHANISM.lower()}.sasl.jaas.config": _jaas(
                "scram.ScramLoginModule", broker
            ),
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": _jaas(
                "plain.PlainLoginModule", broker, f'user_{broker.username}="{broker.password}"'
            ),
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            # Deny by default: a principal without an ACL on a resource gets nothing, not everything.
            "allow.everyone.if.no.acl.found": "false",
            "super.users": f"User:{ADMIN};User:{broker.username}",
        }
    )
    body = "".join(f"{key}={value}\n" for key, value in settings.items())
    layout.config.write_text("# Written by guichet_deploy.kafka_secure on every start; edits are lost.\n" + body)
    layout.config.chmod(0o600)  # holds the broker's own password


def _jaas(module: str, credentials: Credentials, extra: str = "") -> str:
    return (
        f"org.apache.kafka.common.security.{module} required"
        f' username="{credentials.username}" password="{credentials.password}" {extra};'
    )


def _read_properties(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def scram_format_args(users: Iterable[Credentials]) -> list[str]:
    """StorageTool arguments that store SCRAM credentials in the first metadata records: the broker accepts its
    users from its very first start, before any admin client could add them."""
    args: list[str] = []
    for user in users:
        args += ["--add-scram", f"{MECHANISM}=[name={user.username},password={user.password}]"]
    return args


def _write_secret_files(folder: Path, users: Mapping[str, Credentials]) -> None:
    secrets_dir = folder / "secrets"
    secrets_dir.mkdir(mode=0o700, exist_ok=True)
    for service, credentials in users.items():
        path = secrets_dir / f"{service}.password"
        path.touch(mode=0o600)
        path.write_text(credentials.password + "\n")


async def wait_until_ready(secured: SecuredKafka, timeout_s: float = 90.0) -> None:
    """Return once the broker answers the admin's authenticated metadata request; fail early if it exits."""
    deadline = time.monotonic() + timeout_s
    port = int(secured.bootstrap.rsplit(":", 1)[1])
    while True:
        if not pid_alive(secured.pid):
            raise ProcessStartError(
                f"Kafka exited during start-up; see {secured.layout.log}:\n{log_tail(secured.layout.log)}"
            )
        if port_answers(port) and await _admin_answers(secured):
            return
        if time.monotonic() > deadline:
            raise ProcessStartError(
                f"secured Kafka at {secured.bootstrap} did not answer within {timeout_s:.0f}s; see"
                f" {secured.layout.log}:\n{log_tail(secured.layout.log)}"
            )
        await asyncio.sleep(0.25)


async def _admin_answers(secured: SecuredKafka) -> bool:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=secured.bootstrap, request_timeout_ms=5_000, **secured.admin_options()
    )
    try:
        await asyncio.wait_for(admin.start(), 5)
        await asyncio.wait_for(admin.describe_cluster(), 5)
        return True
    except (TimeoutError, KafkaError, OSError):
        return False
    finally:
        await admin.close()


async def provision_topics_and_acls(secured: SecuredKafka, *, prefix: str = "", partitions: int = 3) -> None:
    """As admin (the platform): create every topic, then give each principal (services, finance) exactly
    `grants_for`."""
    await ensure_topics(secured.bootstrap, prefix=prefix, partitions=partitions, client_options=secured.admin_options())
    # One JVM per batch of ACLs takes seconds; the principals' batches run side by side.
    await asyncio.gather(*(add_acls(secured, principal(name), grants_for(name, prefix)) for name in secured.principals))
    log.info("secured_kafka_acls_created", principals=sorted(secured.principals), topic_prefix=prefix)


def _admin_config(secured: SecuredKafka) -> Path:
    """The admin's client settings for Kafka's command-line tools, written once (tools may be reading it)."""
    path = secured.folder / "secrets" / "admin.properties"
    if path.exists():
        return path
    path.touch(mode=0o600)
    path.write_text(
        f"security.protocol={PROTOCOL}\nsasl.mechanism={MECHANISM}\n"
        f"sasl.jaas.config={_jaas('scram.ScramLoginModule', secured.admin)}\n"
    )
    return path


def acl_batches(user: str, grants: Iterable[Grant]) -> list[list[str]]:
    """AclCommand `--add` arguments, one list per (resource type, pattern, operations) so that one JVM adds all the
    grants that share them."""
    batches: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
    for grant in grants:
        batches.setdefault((grant.resource, grant.pattern, grant.operations), []).append(grant.name)
    commands: list[list[str]] = []
    for (resource, pattern, operations), names in sorted(batches.items()):
        args = ["--add", "--allow-principal", f"User:{user}"]
        args += ["--resource-pattern-type", "prefixed" if pattern == "prefix" else "literal"]
        for operation in operations:
            args += ["--operation", operation]
        for name in names:
            args += [f"--{resource}", name]
        commands.append(args)
    return commands


async def add_acls(secured: SecuredKafka, user: str, grants: Iterable[Grant]) -> None:
    """As admin, allow `user` the `grants` (Kafka's AclCommand from the broker's own jars)."""
    admin_config = _admin_config(secured)
    lib = kafka.jar_cache_dir()
    tool_log = secured.folder / "logs" / f"acls-{user}.log"
    for args in acl_batches(user, grants):
        command = kafka._java_command(  # the same JVM and classpath as the broker
            lib, ACL_TOOL, "--bootstrap-server", secured.bootstrap, "--command-config", str(admin_config), *args
        )
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output, _ = await process.communicate()
        _append(tool_log, output)
        code = process.returncode
        if code != 0:
            raise RuntimeError(f"adding ACLs for {user} failed; see {tool_log}:\n{log_tail(tool_log)}")


def _append(path: Path, output: bytes) -> None:
    with open(path, "ab") as out:
        out.write(output)
