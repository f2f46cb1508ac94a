"""A KRaft Apache Kafka cluster of several nodes on one machine, from the same Maven jars as the single broker.

Each node is broker and controller at once (a quorum of three controllers survives the loss of one), listens on
127.0.0.1 on ports of its own, and keeps its log folder under `<folder>/node-<id>`. Topics default to replication
factor 3 with min ISR 2, so that with one node down every write with acks=all still succeeds, and nothing
acknowledged is lost. Used by the multi-instance failure test and the benchmark (`--cluster 3`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from guichet_deploy import kafka
from guichet_deploy.procs import ProcessStartError, free_port, log_tail, pid_alive, spawn_detached, stop_process

# Three brokers share the machine (two cores in CI) with the services and PostgreSQL: smaller heaps than the
# single broker's, which is plenty for a test or a benchmark's topics.
NODE_JVM_OPTIONS = ("-Xms64m", "-Xmx384m", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true")

log = structlog.get_logger()


@dataclass
class ClusterNode:
    node_id: int  # 1-based, as in controller.quorum.voters
    layout: kafka.KafkaLayout
    port: int
    controller_port: int
    pid: int | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def running(self) -> bool:
        return pid_alive(self.pid, kafka.broker_marker(self.layout))


@dataclass
class Cluster:
    folder: Path
    cluster_id: str
    lib: Path
    nodes: list[ClusterNode] = field(default_factory=list)

    @property
    def bootstrap(self) -> str:
        """Every node, so that a client starting while one is down still finds the others."""
        return ",".join(node.address for node in self.nodes)

    @property
    def pids(self) -> dict[int, int | None]:
        return {node.node_id: node.pid for node in self.nodes}

    def node(self, node_id: int) -> ClusterNode:
        return self.nodes[node_id - 1]

    def kill_node(self, node_id: int) -> None:
        """kill -9 of one node: no controlled shutdown, no leadership handed over, no flush."""
        node = self.node(node_id)
        if node.running():
            assert node.pid is not None
            stop_process(node.pid, marker=kafka.broker_marker(node.layout), timeout_s=10, first_signal=signal.SIGKILL)
        log.info("kafka_node_killed", node=node_id, pid=node.pid)

    async def restart_node(self, node_id: int, timeout_s: float = 90.0) -> None:
        """Start a stopped node again on its ports and log folder; return once the cluster counts it again."""
        node = self.node(node_id)
        if node.running():
            raise RuntimeError(f"node {node_id} still runs (pid {node.pid}); kill or stop it first")
        node.pid = _start_node(node, self.lib)
        await self.wait_until_ready(timeout_s=timeout_s)
        log.info("kafka_node_restarted", node=node_id, pid=node.pid)

    async def wait_until_ready(self, brokers: int | None = None, timeout_s: float = 90.0) -> None:
        """Until the metadata lists `brokers` (default: every node) registered and unfenced brokers.

        Fails early, naming the log, when a node that should run has exited."""
        wanted = len(self.nodes) if brokers is None else brokers
        deadline = time.monotonic() + timeout_s
        seen = 0
        while True:
            for node in self.nodes:
                if node.pid is not None and not pid_alive(node.pid):
                    raise ProcessStartError(
                        f"Kafka node {node.node_id} exited; see {node.layout.log}:\n{log_tail(node.layout.log)}"
                    )
            seen = await broker_count(self.bootstrap)
            if seen >= wanted:
                return
            if time.monotonic() > deadline:
                tails = "\n".join(f"--- node {n.node_id}:\n{log_tail(n.layout.log, 8)}" for n in self.nodes)
                raise ProcessStartError(f"only {seen} of {wanted} Kafka brokers after {timeout_s:.0f}s\n{tails}")
            await asyncio.sleep(0.5)

    def stop(self, timeout_s: float = 30.0) -> None:
        """SIGTERM every running node at once (a controlled shutdown each), SIGKILL those still there after
        `timeout_s`. Idempotent."""
        running = [node for node in self.nodes if node.pid is not None]
        if not running:
            return

        def stop_one(node: ClusterNode) -> None:
            stop_process(node.pid, marker=kafka.broker_marker(node.layout), timeout_s=timeout_s)
            node.pid = None

        with ThreadPoolExecutor(len(running)) as pool:
            list(pool.map(stop_one, running))
        log.info("kafka_cluster_stopped", folder=str(self.folder))


async def start_cluster(folder: Path, nodes: int = 3, *, timeout_s: float = 120.0) -> Cluster:
    """Format and start `nodes` broker+controller nodes under `folder`; return once all are registered.

    Ports are picked free now. On failure every node already started is stopped before the error propagates.
    """
    if nodes < 1:
        raise ValueError("a cluster needs at least one node")
    folder.mkdir(parents=True, exist_ok=True)
    lib = await asyncio.to_thread(kafka.ensure_kafka_jars, folder / "maven.log")
    taken: set[int] = set()

    def pick() -> int:
        port = free_port(avoid=taken)
        taken.add(port)
        return port

    cluster = Cluster(folder, kafka.new_cluster_id(), lib)
    for node_id in range(1, nodes + 1):
        layout = kafka.KafkaLayout(folder / f"node-{node_id}")
        cluster.nodes.append(ClusterNode(node_id, layout, port=pick(), controller_port=pick()))
    voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in cluster.nodes)
    try:
        for node in cluster.nodes:
            node.layout.log.parent.mkdir(parents=True, exist_ok=True)
            write_node_properties(node, voters=voters, replication=min(3, nodes))
        # Every node formatted with the same cluster id, or the quorum refuses them. Formatting is a JVM start
        # each: side by side they take the time of one.
        await asyncio.gather(
            *(asyncio.to_thread(kafka.format_storage, n.layout, lib, cluster.cluster_id) for n in cluster.nodes)
        )
        for node in cluster.nodes:
            node.pid = _start_node(node, lib)
        await cluster.wait_until_ready(timeout_s=timeout_s)
    except BaseException:
        cluster.stop(timeout_s=10)
        raise
    log.info("kafka_cluster_started", bootstrap=cluster.bootstrap, pids=cluster.pids, folder=str(folder))
    return cluster


def write_node_properties(node: ClusterNode, *, voters: str, replication: int) -> None:
    """The single broker's settings (kafka.write_server_properties) for one node of a replicated cluster."""
    min_isr = str(max(1, replication - 1))
    settings = {
        "process.roles": "broker,controller",
        "node.id": str(node.node_id),
        "controller.quorum.voters": voters,
        "listeners": f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(node.layout.data),
        # Topics are created on purpose by guichet_common.kafka_admin.ensure_topics, never by a typo.
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
        # With 3 replicas and 2 in sync required, acks=all survives one node down and loses nothing acknowledged.
        "default.replication.factor": str(replication),
        "min.insync.replicas": min_isr,
        "offsets.topic.replication.factor": str(replication),
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": str(replication),
        "transaction.state.log.min.isr": min_isr,
        "transaction.state.log.num.partitions": "10",
        # A replica that lost its leader must never become leader with data the others lack.
        "unclean.leader.election.enable": "false",
        "group.initial.rebalance.delay.ms": "0",
        # A node killed with -9 is fenced (and its partitions led elsewhere) after this long without heartbeat;
        # the default 9 s is the stall clients see. 6 s keeps well clear of false alarms on a busy 2-core box.
        "broker.session.timeout.ms": "6000",
        "broker.heartbeat.interval.ms": "1000",
        "log.retention.hours": "72",
        "log.retention.bytes": str(256 * 1024**2),
        "log.segment.bytes": str(64 * 1024**2),
        # Room for oversized poison (the failure suite sends 5 MB): the services refuse it, the broker must not.
        "message.max.bytes": str(8 * 1024**2),
        "replica.fetch.max.bytes": str(8 * 1024**2),
        # Three JVMs share the machine: fewer threads each than the single broker.
        "num.network.threads": "2",
        "num.io.threads": "2",
        "num.replica.fetchers": "1",
    }
    node.layout.config.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"{key}={value.replace(chr(92), chr(92) * 2)}\n" for key, value in settings.items())
    node.layout.config.write_text("# Written by guichet_deploy.kafka_cluster; edits are lost.\n" + body)


def _start_node(node: ClusterNode, lib: Path) -> int:
    # kafka.start_broker would give each node the single broker's 512 MB heap; the same command with a smaller one.
    log4j = kafka.RUNTIME_FILES / "log4j.properties"
    command = [
        _java(),
        *NODE_JVM_OPTIONS,
        f"-Dlog4j.configuration=file:{log4j}",
        "-cp",
        f"{lib}/*",
        "kafka.Kafka",
        str(node.layout.config),
    ]
    return spawn_detached(command, node.layout.log, cwd=node.layout.state_dir)


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise RuntimeError("Java 17+ is needed for the local Kafka cluster; install a JDK")
    return java


async def broker_count(bootstrap: str, timeout_s: float = 5.0) -> int:
    """How many brokers the cluster's metadata lists (0 when nobody answers). KRaft lists only registered,
    unfenced brokers, so a killed node drops out once fenced and comes back once it has caught up."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
        described = await asyncio.wait_for(admin.describe_cluster(), timeout_s)
        return len(described.get("brokers", ()))
    except (TimeoutError, KafkaError, OSError):
        return 0
    finally:
        await admin.close()
