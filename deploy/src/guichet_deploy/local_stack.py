"""The local stack: a KRaft broker from Maven jars, a private PostgreSQL server and the SMTP sink, as processes."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import structlog

from guichet_deploy import kafka, kafka_cluster, postgres
from guichet_deploy.procs import (
    ProcessStartError,
    gather_all,
    log_tail,
    pid_alive,
    port_answers,
    reuse_or_pick_port,
    spawn_detached,
    stop_process,
)

SMTP_SINK_MODULE = "guichet_deploy.smtp_sink"
KAFKA_NODES_ENV = "GUICHET_KAFKA_NODES"  # 3: a 3-node KRaft cluster instead of the single broker
CLUSTER_DIR = "kafka-cluster"

log = structlog.get_logger()


async def start_local(folder: Path, state: dict[str, Any]) -> tuple[str, str]:
    """Start (or find running) the broker and the database server side by side; return (bootstrap, admin DSN)."""
    bootstrap, admin_dsn = await gather_all(
        _ensure_local_kafka(folder, state.setdefault("kafka", {})),
        asyncio.to_thread(
            _ensure_local_postgres, folder, state.setdefault("local", {}), state.setdefault("postgres", {})
        ),
    )
    return bootstrap, admin_dsn


async def _ensure_local_kafka(folder: Path, section: dict[str, Any]) -> str:
    nodes = int(os.environ.get(KAFKA_NODES_ENV, "1"))
    if nodes > 1:
        return await _ensure_local_cluster(folder, section.setdefault("cluster", {}), nodes)
    layout = kafka.KafkaLayout(folder)
    if pid_alive(section.get("pid"), kafka.broker_marker(layout)):
        bootstrap = f"127.0.0.1:{section['port']}"
        await kafka.wait_until_ready(bootstrap, section["pid"], layout.log)  # running, or still starting
        return bootstrap
    lib = await asyncio.to_thread(kafka.ensure_kafka_jars, folder / "logs" / "maven.log")
    section["port"] = reuse_or_pick_port(section.get("port"))
    section["controller_port"] = reuse_or_pick_port(section.get("controller_port"), avoid={section["port"]})
    section["cluster_id"] = kafka.formatted_cluster_id(layout) or section.get("cluster_id") or kafka.new_cluster_id()
    kafka.write_server_properties(layout, port=section["port"], controller_port=section["controller_port"])
    await asyncio.to_thread(kafka.format_storage, layout, lib, section["cluster_id"])
    section["pid"] = kafka.start_broker(layout, lib)
    bootstrap = f"127.0.0.1:{section['port']}"
    await kafka.wait_until_ready(bootstrap, section["pid"], layout.log)
    log.info("kafka_started", bootstrap=bootstrap, pid=section["pid"], log_file=str(layout.log))
    return bootstrap


async def _ensure_local_cluster(folder: Path, section: dict[str, Any], nodes: int) -> str:
    """Several broker+controller nodes (GUICHET_KAFKA_NODES=3): replication factor 3 and min ISR 2, as on a real
    cluster. Reused while every node runs; otherwise started afresh (a scratch cluster: its data goes with it,
    which the services survive, as the inbox drops what they see again)."""
    recorded = section.get("nodes", [])
    if len(recorded) == nodes and all(pid_alive(n["pid"], _node_marker(folder, n["node_id"])) for n in recorded):
        return ",".join(f"127.0.0.1:{n['port']}" for n in recorded)
    _stop_cluster_nodes(folder, section, timeout_s=15)
    shutil.rmtree(folder / CLUSTER_DIR, ignore_errors=True)
    cluster = await kafka_cluster.start_cluster(folder / CLUSTER_DIR, nodes)
    section["nodes"] = [{"node_id": n.node_id, "pid": n.pid, "port": n.port} for n in cluster.nodes]
    return cluster.bootstrap


def _node_marker(folder: Path, node_id: int) -> str:
    return kafka.broker_marker(kafka.KafkaLayout(folder / CLUSTER_DIR / f"node-{node_id}"))


def _stop_cluster_nodes(folder: Path, section: dict[str, Any], timeout_s: float) -> None:
    for node in section.get("nodes", []):
        stop_process(node.get("pid"), marker=_node_marker(folder, node["node_id"]), timeout_s=timeout_s)
    section["nodes"] = []


def _pg_layout(folder: Path, section: dict[str, Any]) -> postgres.PgLayout:
    layout = postgres.PgLayout.for_state_dir(folder)
    if recorded := section.get("base_dir"):  # the project may have moved since the cluster was created
        layout = postgres.PgLayout(base=Path(recorded), log=layout.log)
    return layout


def _ensure_local_postgres(folder: Path, local: dict[str, Any], section: dict[str, Any]) -> str:
    layout = _pg_layout(folder, section)
    section["base_dir"] = str(layout.base)
    if "admin_password" not in section and layout.data.exists():
        # The cluster outlived the state file that held its admin password: nothing can log in to it anymore.
        postgres.stop_server(postgres.running_pid(layout), layout)
        shutil.rmtree(layout.data)
        local.pop("service_passwords", None)
    password = section.setdefault("admin_password", postgres.new_password())
    pid = postgres.running_pid(layout)
    if pid is not None and port_answers(section.get("port")):
        section["pid"] = pid
        return postgres.admin_dsn(section["port"], password)
    if pid is not None:  # ours, but not where the state says: stop it and start it where we want it
        postgres.stop_server(pid, layout)
    postgres.prepare_base(layout)
    postgres.initdb(layout, password)
    section["port"] = reuse_or_pick_port(section.get("port"))
    section["pid"] = postgres.start_server(layout, section["port"])
    postgres.wait_until_ready(layout, section["port"])
    log.info(
        "postgres_started",
        port=section["port"],
        pid=section["pid"],
        data_dir=str(layout.data),
        log_file=str(layout.log),
    )
    return postgres.admin_dsn(section["port"], password)


async def ensure_smtp_sink(folder: Path, section: dict[str, Any]) -> Path:
    """Start (or find running) the SMTP sink; return its Maildir."""
    maildir = folder / "maildir"
    marker = f"--maildir {maildir}"
    if pid_alive(section.get("pid"), marker) and port_answers(section.get("port")):
        return maildir
    log_path = folder / "logs" / "smtp.log"
    section["port"] = reuse_or_pick_port(section.get("port"))
    section["marker"] = marker
    address = ["--host", "127.0.0.1", "--port", str(section["port"])]
    command = [sys.executable, "-m", SMTP_SINK_MODULE, *address, "--maildir", str(maildir)]
    section["pid"] = spawn_detached(command, log_path, cwd=folder)
    deadline = time.monotonic() + 20
    while not port_answers(section["port"]):
        if not pid_alive(section["pid"]) or time.monotonic() > deadline:
            raise ProcessStartError(f"the SMTP sink did not start; see {log_path}:\n{log_tail(log_path)}")
        await asyncio.sleep(0.1)
    return maildir


def stop_local(folder: Path, state: dict[str, Any], timeout_s: float) -> None:
    """Stop the three processes concurrently: SIGTERM (SIGINT, "fast", for PostgreSQL), then SIGKILL."""
    smtp, broker = state.get("smtp", {}), state.get("kafka", {})
    pg_layout = _pg_layout(folder, state.get("postgres", {}))
    stops = [
        lambda: stop_process(smtp.get("pid"), marker=smtp.get("marker") or SMTP_SINK_MODULE, timeout_s=timeout_s),
        lambda: stop_process(
            broker.get("pid"), marker=kafka.broker_marker(kafka.KafkaLayout(folder)), timeout_s=timeout_s
        ),
        lambda: postgres.stop_server(postgres.running_pid(pg_layout), pg_layout, timeout_s=timeout_s),
    ]
    stops.append(lambda: _stop_cluster_nodes(folder, broker.get("cluster", {}), timeout_s))
    with ThreadPoolExecutor(len(stops)) as pool:
        for future in [pool.submit(stop) for stop in stops]:
            future.result()
    for section in ("smtp", "kafka", "postgres"):
        state.get(section, {}).pop("pid", None)


def purge_local(folder: Path, state: dict[str, Any]) -> None:
    """Delete the broker's and the database server's data and the Maildir (call after stop_local)."""
    shutil.rmtree(kafka.KafkaLayout(folder).data, ignore_errors=True)
    shutil.rmtree(folder / CLUSTER_DIR, ignore_errors=True)
    shutil.rmtree(_pg_layout(folder, state.get("postgres", {})).base, ignore_errors=True)
    shutil.rmtree(folder / "maildir", ignore_errors=True)
