"""The faults, each injected while claims flow. A fault returns the moment the system was whole again (for the
recovery figure), or None when nothing was taken down."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaProducer

from guichet_chaos.load import publish_claims, publish_poison
from guichet_common.contracts import EXAMPLES
from guichet_deploy.infra import ensure_infra
from guichet_deploy.postgres import PgLayout, running_pid, stop_server
from guichet_deploy.procs import stop_process
from guichet_deploy.scratch import ScratchStack
from guichet_deploy.state import load_state
from guichet_simulator.generator import SimulatedClaim


@dataclass
class Scene:
    stack: ScratchStack
    producer: AIOKafkaProducer
    claims: list[SimulatedClaim]


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


async def _wait_exit(stack: ScratchStack, name: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while stack.processes[name].poll() is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} never reached its failure point")
        await asyncio.sleep(0.1)


# name -> (fault, payments instances, extra environment per process)
FAULTS: dict[str, tuple[Fault, int, dict[str, dict[str, str]]]] = {
    "kill -9 each service": (kill_each_service, 1, {}),
    "relay dies between publish and delete": (
        relay_dies_between_publish_and_delete,
        1,
        {"intake": {"GUICHET_FAILPOINT": "relay.after_publish"}},
    ),
    "consumer paused past session timeout": (zombie_payments_instance, 2, {}),
    "Kafka broker restart": (broker_restart, 1, {}),
    "PostgreSQL restart": (postgres_restart, 1, {}),
    "whole input published twice": (input_published_twice, 1, {}),
    "poison corpus interleaved": (poison_interleaved, 1, {}),
    "SMTP down, then back": (smtp_down_then_back, 1, {}),
}
SHORT = (
    "kill -9 each service",
    "relay dies between publish and delete",
    "whole input published twice",
    "poison corpus interleaved",
)
