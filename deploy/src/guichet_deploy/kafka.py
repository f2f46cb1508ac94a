"""A single-node KRaft Apache Kafka broker run from Maven-resolved jars, without Docker."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from guichet_deploy.procs import ProcessStartError, log_tail, pid_alive, port_answers, spawn_detached

KAFKA_VERSION = "3.9.1"
RUNTIME_FILES = Path(__file__).parent / "kafka_runtime"
JVM_OPTIONS = ("-Xms128m", "-Xmx512m", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true")

log = structlog.get_logger()


@dataclass(frozen=True)
class KafkaLayout:
    """Files of one broker inside the project state folder."""

    state_dir: Path

    @property
    def config(self) -> Path:
        return self.state_dir / "kafka" / "server.properties"

    @property
    def data(self) -> Path:
        return self.state_dir / "kafka" / "data"

    @property
    def log(self) -> Path:
        return self.state_dir / "logs" / "kafka.log"


def jar_cache_dir() -> Path:
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache_home / "guichet" / f"kafka-{KAFKA_VERSION}" / "lib"


def ensure_kafka_jars(maven_log: Path) -> Path:
    """Resolve the broker's jars once into the user cache; later calls return at once.

    Maven resolves into a temporary folder that is renamed into place only when complete, so an
    interrupted first run leaves no half-filled cache behind.
    """
    lib = jar_cache_dir()
    pom = RUNTIME_FILES / "pom.xml"
    pom_hash = hashlib.sha256(pom.read_bytes()).hexdigest()
    if _cache_complete(lib, pom_hash):
        return lib
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError(
            "Maven (mvn) is needed once to fetch the Kafka jars; install it or set KAFKA_BOOTSTRAP_SERVERS"
        )
    lib.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=lib.parent, prefix=".resolve-"))
    try:
        shutil.copy(pom, work / "pom.xml")
        resolved = work / "lib"
        log.info("kafka_jars_resolving", version=KAFKA_VERSION, cache=str(lib), log_file=str(maven_log))
        started = time.monotonic()
        with open(maven_log, "ab") as out:
            result = subprocess.run(
                [
                    mvn,
                    "-q",
                    "-B",
                    "-Dstyle.color=never",
                    "dependency:copy-dependencies",
                    "-DincludeScope=runtime",
                    f"-DoutputDirectory={resolved}",
                ],
                cwd=work,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if result.returncode != 0 or not (resolved / f"kafka_2.13-{KAFKA_VERSION}.jar").is_file():
            raise RuntimeError(f"Maven could not resolve the Kafka jars; see {maven_log}:\n{log_tail(maven_log)}")
        (resolved / ".pom-sha256").write_text(pom_hash)
        if lib.exists() and not _cache_complete(lib, pom_hash):
            os.rename(lib, work / "outdated")
        try:
            os.rename(resolved, lib)
        except OSError:
            if not _cache_complete(lib, pom_hash):  # another launcher did not just win the race
                raise
        log.info("kafka_jars_resolved", jars=len(list(lib.glob("*.jar"))), seconds=round(time.monotonic() - started, 1))
        return lib
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _cache_complete(lib: Path, pom_hash: str) -> bool:
    marker = lib / ".pom-sha256"
    return marker.is_file() and marker.read_text() == pom_hash and (lib / f"kafka_2.13-{KAFKA_VERSION}.jar").is_file()


def new_cluster_id() -> str:
    """A Kafka cluster id (a base64url UUID without padding) that cannot be mistaken for a CLI option."""
    while True:
        candidate = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not candidate.startswith("-"):
            return candidate


def write_server_properties(layout: KafkaLayout, *, port: int, controller_port: int) -> None:
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(layout.data),
        # Topics are created on purpose by guichet_common.kafka_admin.ensure_topics, never by a typo.
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "10",
        "group.initial.rebalance.delay.ms": "0",
        "log.retention.hours": "72",
        "log.retention.bytes": str(256 * 1024**2),
        "log.segment.bytes": str(64 * 1024**2),
        # Room for oversized poison (the failure suite sends 5 MB): the services refuse it, the broker must not.
        "message.max.bytes": str(8 * 1024**2),
        "num.network.threads": "2",
        "num.io.threads": "4",
    }
    layout.config.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"{key}={value.replace(chr(92), chr(92) * 2)}\n" for key, value in settings.items())
    layout.config.write_text("# Written by guichet_deploy.kafka on every start; edits are lost.\n" + body)


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise RuntimeError(
            "Java 17+ is needed for the local Kafka broker; install a JDK or set KAFKA_BOOTSTRAP_SERVERS"
        )
    return java


def _java_command(lib: Path, main_class: str, *args: str) -> list[str]:
    log4j = RUNTIME_FILES / "log4j.properties"
    return [_java(), *JVM_OPTIONS, f"-Dlog4j.configuration=file:{log4j}", "-cp", f"{lib}/*", main_class, *args]


def formatted_cluster_id(layout: KafkaLayout) -> str | None:
    """The cluster id the log folder was formatted with, which the broker insists on keeping."""
    try:
        lines = (layout.data / "meta.properties").read_text().splitlines()
    except FileNotFoundError:
        return None
    return next((line.split("=", 1)[1].strip() for line in lines if line.startswith("cluster.id=")), None)


def format_storage(layout: KafkaLayout, lib: Path, cluster_id: str, *, extra_args: Sequence[str] = ()) -> None:
    """Format the log folder for KRaft once; a formatted folder is left as it is.

    `extra_args` go to StorageTool as they are (e.g. `--add-scram ...`, the secured broker's first credentials)."""
    if (layout.data / "meta.properties").is_file():
        return
    command = _java_command(
        lib,
        "kafka.tools.StorageTool",
        "format",
        "-t",
        cluster_id,
        "-c",
        str(layout.config),
        "--ignore-formatted",
        *extra_args,
    )
    with open(layout.log, "ab") as out:
        result = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        raise ProcessStartError(f"formatting Kafka storage failed; see {layout.log}:\n{log_tail(layout.log)}")


def start_broker(layout: KafkaLayout, lib: Path) -> int:
    """Start the broker detached from this process; return its pid (not yet ready)."""
    return spawn_detached(_java_command(lib, "kafka.Kafka", str(layout.config)), layout.log, cwd=layout.state_dir)


def broker_marker(layout: KafkaLayout) -> str:
    """What the broker's command line contains, to recognise our process behind a recorded pid."""
    return str(layout.config)


async def wait_until_ready(bootstrap: str, pid: int | None, log_path: Path, timeout_s: float = 90.0) -> None:
    """Return once the broker answers a metadata request; fail early, naming the log, if it exits."""
    port = int(bootstrap.rsplit(":", 1)[1])
    deadline = time.monotonic() + timeout_s
    while True:
        if pid is not None and not pid_alive(pid):
            raise ProcessStartError(f"Kafka exited during start-up; see {log_path}:\n{log_tail(log_path)}")
        if port_answers(port) and await metadata_answers(bootstrap):
            return
        if time.monotonic() > deadline:
            raise ProcessStartError(
                f"Kafka at {bootstrap} did not answer a metadata request within {timeout_s:.0f}s; see {log_path}:\n"
                f"{log_tail(log_path)}"
            )
        await asyncio.sleep(0.25)


async def metadata_answers(bootstrap: str, timeout_s: float = 10.0) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
        await asyncio.wait_for(admin.describe_cluster(), timeout_s)
        return True
    except (TimeoutError, KafkaError, OSError):
        return False
    finally:
        await admin.close()
