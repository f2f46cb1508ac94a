"""Runs scenarios one after another, each on a fresh stack, and prints one table of figures."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from aiokafka import AIOKafkaProducer

from guichet_chaos.checker import FINAL, Figures, StatusWatch, measure
from guichet_chaos.faults import FAULTS, Scene
from guichet_chaos.hostile_run import LONG_RUN_INPUTS, check_hostile, draw, until_quiet
from guichet_chaos.load import claims_for, publish_claims, publish_registry
from guichet_deploy.infra import Infra
from guichet_deploy.kafka_cluster import Cluster, start_cluster
from guichet_deploy.scratch import ScratchStack

COLUMNS = (
    "scenario",
    "published",
    "lost",
    "dup. status changes",
    "dup. payments",
    "dup. e-mails",
    "overshoot €",
    "DLQ",
    "PII in logs",
    "recovery s",
    "settle s",
    "notes",
)


async def run_scenario(
    infra: Infra, name: str, workdir: Path, claims: int, seed: int, hostile_inputs: int = LONG_RUN_INPUTS
) -> Figures:
    setup = FAULTS[name]
    # A scenario that wants several brokers gets a cluster of its own, stopped with the scenario.
    cluster = await start_cluster(workdir / "kafka", setup.kafka_nodes) if setup.kafka_nodes > 1 else None
    try:
        stack = ScratchStack(
            infra,
            workdir,
            prefix=f"chaos-{secrets.token_hex(3)}.",
            kafka_bootstrap=cluster.bootstrap if cluster else None,
        )
        stack.extra_env = setup.extra_env
        if setup.overrides is not None:
            stack.overrides = setup.overrides(workdir)
        retired: set[str] = set()
        try:
            await stack.start(setup.payments_instances, instances=setup.instances)
            if setup.journey is not None:
                figures, retired = await setup.journey(stack, name, claims, seed)
            else:
                figures, scene = await _flow(stack, name, claims, seed, cluster, hostile_inputs)
                retired = scene.retired
        finally:
            # Also when the start or the flow failed: no service process may outlive the scenario.
            codes, seconds = await stack.stop()
    finally:
        if cluster is not None:
            await asyncio.to_thread(cluster.stop)
    # Processes the fault killed on purpose and left dead exited with -9, not through SIGTERM.
    unclean = {name: code for name, code in codes.items() if code != 0 and name not in retired}
    figures.graceful_exit = not unclean
    figures.notes.append(f"SIGTERM: all exited 0 in {seconds:.1f} s" if not unclean else f"SIGTERM exits: {unclean}")
    return figures


async def _flow(
    stack: ScratchStack, name: str, claims: int, seed: int, cluster: Cluster | None, hostile_inputs: int
) -> tuple[Figures, Scene]:
    """Publish the claims while the fault strikes, wait until each is final, measure."""
    bootstrap = stack.infra.kafka_bootstrap
    watch = StatusWatch(bootstrap, stack.topic("claims.status.v1"))
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", max_request_size=8 * 1024 * 1024
    )
    figures = Figures(name)
    scene = Scene(stack, producer, claims_for(claims, seed), cluster)
    claim_ids = {c.claim_id for c in scene.claims}
    scene.finals_so_far = lambda: len(watch.finals() & claim_ids)
    setup = FAULTS[name]
    if setup.hostile:
        scene.hostile = await asyncio.to_thread(draw, hostile_inputs, seed, scene.claims)
    try:
        await watch.start()
        await producer.start()
        await publish_registry(producer, stack.prefix, scene.claims)
        moments: dict[str, float] = {}

        async def publish() -> None:
            if not setup.hostile:  # which publishes the claims itself, between its hostile records
                await publish_claims(producer, stack.prefix, scene.claims, per_second=setup.claims_per_second)
            moments["published"] = time.monotonic()

        flowing = asyncio.gather(publish(), setup.fault(scene))
        while not flowing.done():
            await watch.poll()
        _published, restored_at = flowing.result()
        published_at = time.monotonic() if setup.hostile else moments["published"]
        # The adversarial scenario's claims must not wait on anything slow: a shorter wait reports a stall sooner.
        await watch.until_final(claim_ids, timeout_s=max(60.0, hostile_inputs / 50) if setup.hostile else 180)
        finals = [t for t, e in watch.events if e["claim_id"] in claim_ids]
        figures.settle_s = round(max(finals) - published_at, 1) if finals else -1
        if restored_at is not None:
            gap = watch.first_event_after(restored_at)
            figures.recovery_s = round(gap, 1) if gap is not None else None
        if scene.struck_at is not None:
            figures.final_after_fault = final_after(watch, claim_ids, scene.struck_at)
            figures.notes.append(f"{figures.final_after_fault} claims final after the fault struck")
        if setup.hostile:  # its hostile claims settle after the normal ones: measure once they have
            await until_quiet(watch, timeout_s=max(30.0, hostile_inputs / 20))
        await measure(stack, watch, claim_ids, figures)
        if setup.hostile:
            figures.hostile = await check_hostile(scene, watch, figures)
        dead = [n for n, alive in stack.alive().items() if not alive and n not in scene.retired]
        figures.notes.append("all alive" if not dead else f"exited: {', '.join(dead)}")
        if scene.retired:
            figures.notes.append(f"killed for good: {', '.join(sorted(scene.retired))}")
        figures.personal_data_in_logs = personal_data_in(stack.log_text(), scene.claims)
    finally:
        await producer.stop()
        await watch.stop()
    return figures, scene


def final_after(watch: StatusWatch, claim_ids: set[str], moment: float) -> int:
    """Claims whose first final status arrived after `moment`: work the survivors did once the fault had struck."""
    first: dict[str, float] = {}
    for seen, event in watch.events:
        if event["claim_id"] in claim_ids and event["status"] in FINAL:
            first[event["claim_id"]] = min(seen, first.get(event["claim_id"], seen))
    return sum(1 for seen in first.values() if seen > moment)


def personal_data_in(logs: str, claims: list) -> int:
    """How many of the applicants' IBANs, e-mail addresses and names appear raw in the services' logs."""
    seeded = set()
    for claim in claims:
        body = claim.event["claim"]
        seeded |= {body["bank_account"]["iban"], body["contact"]["email"], body["contact"]["full_name"]}
    return sum(1 for value in seeded if value and value in logs)


async def run_suite(
    infra: Infra, names: list[str], claims: int, seed: int = 7, *, hostile_inputs: int = LONG_RUN_INPUTS
) -> list[Figures]:
    results = []
    # GUICHET_CHAOS_KEEP=1 keeps each scenario's logs, mail and SEPA files for a post-mortem.
    keep = bool(os.environ.get("GUICHET_CHAOS_KEEP"))
    folder = Path(tempfile.mkdtemp(prefix="guichet-chaos-"))
    try:
        for index, name in enumerate(names):
            print(f"... {name}", flush=True)
            workdir = folder / f"s{index}"
            results.append(await run_scenario(infra, name, workdir, claims, seed + index, hostile_inputs))
    finally:
        if keep:
            print(f"scenario folders kept in {folder}", flush=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return results


def table(results: list[Figures]) -> str:
    rows = [COLUMNS] + [
        (
            f.scenario,
            f.published,
            f.lost,
            f.duplicate_statuses,
            f.duplicate_payments,
            f.duplicate_emails,
            f"{f.overshoot_cents / 100:.2f}",
            f.dead_letters,
            f.personal_data_in_logs,
            "-" if f.recovery_s is None else f.recovery_s,
            f.settle_s,
            "; ".join(f.notes),
        )
        for f in results
    ]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(COLUMNS))]
    lines = [" | ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
