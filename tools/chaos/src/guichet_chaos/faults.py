"""The faults, each injected while claims flow. A fault returns the moment the system was whole again (for the
recovery figure), or None when nothing was taken down."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaProducer

from guichet_chaos.checker import Figures
from guichet_chaos.hostile import HostileInput
from guichet_chaos.hostile_run import publish_interleaved
from guichet_chaos.load import publish_claims, publish_poison
from guichet_common.contracts import EXAMPLES
from guichet_deploy.infra import ensure_infra
from guichet_deploy.kafka_cluster import Cluster
from guichet_deploy.postgres import PgLayout, running_pid, stop_server
from guichet_deploy.procs import stop_process
from guichet_deploy.scratch import PIPELINE, ScratchStack
from guichet_deploy.state import load_state
from guichet_simulator.generator import SimulatedClaim


@dataclass
class Scene:
    stack: ScratchStack
    producer: AIOKafkaProducer
    claims: list[SimulatedClaim]
    cluster: Cluster | None = None  # the scenario's own Kafka cluster, when its setup asks for several nodes
    struck_at: float | None = None  # when the fault hit, if it says so: claims finished later were finished despite it
    retired: set[str] = field(default_factory=set)  # processes killed on purpose and left dead
    hostile: list[HostileInput] = field(default_factory=list)  # the adversarial scenario's records to publish
    sent: list = field(default_factory=list)  # (HostileInput, RecordMetadata) once published
    finals_so_far: Callable[[], int] = lambda: 0  # claims final by now (the runner's status watch fills it in)

    async def until_some_final(self, at_least: int, timeout_s: float) -> None:
        """Wait until the pipeline has finished a few claims: a fault meant to strike mid-stream must not strike
        before anything flows, on a machine slower than the one its timing was chosen on."""
        deadline = time.monotonic() + timeout_s
        while self.finals_so_far() < at_least and time.monotonic() < deadline:
            await asyncio.sleep(0.1)


Fault = Callable[[Scene], Awaitable[float | None]]


async def kill_each_service(scene: Scene) -> float:
    """kill -9 of every service in turn at random-ish moments, each restarted a second later."""
    for name in ("intake", "eligibility", "payments-1", "notifications"):
        await asyncio.sleep(1.5)
        scene.stack.kill(name)
        await asyncio.sleep(1.0)
        scene.stack.launch(name)
    return time.monotonic()


async def relay_dies_between_publish_and_delete(scene: Scene) -> float:
    """intake's relay exits right after publishing a batch and before deleting its rows: the batch goes out twice."""
    await _wait_exit(scene.stack, "intake", timeout_s=60)
    scene.stack.launch("intake")
    return time.monotonic()


async def zombie_payments_instance(scene: Scene) -> float:
    """One of two payments instances is frozen past its session timeout, then thawed."""
    await asyncio.sleep(1.0)
    scene.stack.pause("payments-1")
    await asyncio.sleep(15.0)  # aiokafka's session timeout is 10 s: the group moves on without it
    scene.stack.resume("payments-1")
    return time.monotonic()


async def broker_restart(scene: Scene) -> float:
    await asyncio.sleep(1.5)
    state = load_state(scene.stack.infra.state_dir)
    stop_process(state["kafka"]["pid"], marker="kafka.Kafka", timeout_s=30)
    await asyncio.sleep(3.0)
    await asyncio.to_thread(ensure_infra, scene.stack.infra.state_dir)
    return time.monotonic()


async def postgres_restart(scene: Scene) -> float:
    await asyncio.sleep(1.5)
    state = load_state(scene.stack.infra.state_dir)
    layout = PgLayout(base=Path(state["postgres"]["base_dir"]), log=scene.stack.logs / "pg.log")
    stop_server(running_pid(layout), layout)
    await asyncio.sleep(3.0)
    await asyncio.to_thread(ensure_infra, scene.stack.infra.state_dir)
    return time.monotonic()


async def input_published_twice(scene: Scene) -> None:
    await asyncio.sleep(2.0)
    await publish_claims(scene.producer, scene.stack.prefix, scene.claims, per_second=400)
    return None


async def poison_interleaved(scene: Scene) -> None:
    example = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text(encoding="utf-8"))
    for _ in range(2):
        await asyncio.sleep(1.0)
        await publish_poison(scene.producer, scene.stack.prefix, example)
    return None


async def smtp_down_then_back(scene: Scene) -> float:
    await asyncio.sleep(1.0)
    scene.stack.kill("smtp")
    await asyncio.sleep(10.0)
    scene.stack.launch("smtp")
    return time.monotonic()


async def survivors_take_over_on_a_cluster(scene: Scene) -> float:
    """On a 3-node cluster with two instances of every service: kill -9 one instance of each service and one broker
    at the same moment, mid-stream. The dead instances stay dead (their group partitions must move to the
    survivors once their sessions expire); the broker comes back ten seconds later and catches up."""
    assert scene.cluster is not None, "this fault needs the scenario's own cluster"
    await asyncio.sleep(3.0)
    await scene.until_some_final(at_least=5, timeout_s=30.0)
    victims = [scene.stack.instances[service][0] for service in PIPELINE]
    # Node 1 is the first bootstrap address: clients that (re)connect afterwards must find the others.
    scene.cluster.kill_node(1)
    for name in victims:
        scene.stack.kill(name)
    scene.struck_at = time.monotonic()
    scene.retired.update(victims)
    # Longer than the broker's session (6 s) and the consumers' (10 s): the cluster fences the node and the groups
    # rebalance onto the survivors while it is away, rather than it coming back before anyone noticed.
    await asyncio.sleep(10.0)
    await scene.cluster.restart_node(1)
    return time.monotonic()


async def _wait_exit(stack: ScratchStack, name: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while stack.processes[name].poll() is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} never reached its failure point")
        await asyncio.sleep(0.1)


@dataclass(frozen=True)
class Setup:
    """What a scenario runs on, besides its fault."""

    fault: Fault
    payments_instances: int = 1
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)  # per process name
    instances: int = 1  # of every service
    kafka_nodes: int = 1  # more than 1: a KRaft cluster of the scenario's own instead of the infrastructure's broker
    claims_per_second: float = 100.0  # publishing pace: slower spreads the claims before and after the fault
    hostile: bool = False  # the fault publishes the normal claims itself, each followed by hostile records
    # A flow of its own instead of "publish claims, wait until final": (stack, name, claims, seed) -> figures, and
    # what it needs of the stack's environment given the scenario's folder (the control-and-recovery scenario).
    journey: Callable[[ScratchStack, str, int, int], Awaitable[tuple[Figures, set[str]]]] | None = None
    overrides: Callable[[Path], dict[str, str]] | None = None


async def _control_and_recovery(stack: ScratchStack, name: str, claims: int, seed: int) -> tuple[Figures, set[str]]:
    from guichet_chaos.recovery_run import control_and_recovery

    return await control_and_recovery(stack, name, claims, seed)


def _sampling_programmes(workdir: Path) -> dict[str, str]:
    from guichet_chaos.recovery_run import programmes_folder

    return {"GUICHET_PROGRAMMES_DIR": str(programmes_folder(workdir, Path(__file__).resolve().parents[4]))}


async def _no_fault(scene: Scene) -> None:
    return None


MULTI_INSTANCE_CLUSTER = "multi-instance on 3 brokers"
CONTROL_AND_RECOVERY = "controls and recovery, payments and notifications killed -9"
HOSTILE = "hostile"

FAULTS: dict[str, Setup] = {
    "kill -9 each service": Setup(kill_each_service),
    "relay dies between publish and delete": Setup(
        relay_dies_between_publish_and_delete, extra_env={"intake": {"GUICHET_FAILPOINT": "relay.after_publish"}}
    ),
    "consumer paused past session timeout": Setup(zombie_payments_instance, payments_instances=2),
    "Kafka broker restart": Setup(broker_restart),
    "PostgreSQL restart": Setup(postgres_restart),
    "whole input published twice": Setup(input_published_twice),
    "poison corpus interleaved": Setup(poison_interleaved),
    "SMTP down, then back": Setup(smtp_down_then_back),
    # 40/s, the fault once a few claims are final (3 s into publishing at the earliest): some claims finish before
    # it and the rest only after it, so that the survivors must carry the pipeline alone.
    MULTI_INSTANCE_CLUSTER: Setup(survivors_take_over_on_a_cluster, instances=2, kafka_nodes=3, claims_per_second=40),
    # Hostile claims, registry records, bank details, settlements and headers on the normal claims' keys
    # (guichet_chaos.hostile_run); its own table of figures, and --hostile-inputs N records (10,000 by default).
    HOSTILE: Setup(publish_interleaved, hostile=True),
    # A campaign, outcomes, recovery orders and repayments (guichet_chaos.recovery_run), its faults its own.
    CONTROL_AND_RECOVERY: Setup(_no_fault, journey=_control_and_recovery, overrides=_sampling_programmes),
}
SHORT = (
    "kill -9 each service",
    "relay dies between publish and delete",
    "whole input published twice",
    "poison corpus interleaved",
)
