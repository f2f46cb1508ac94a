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

from guichet_chaos.checker import Figures, StatusWatch, measure
from guichet_chaos.faults import FAULTS, Scene
from guichet_chaos.load import claims_for, publish_claims, publish_registry
from guichet_deploy.infra import Infra
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


async def run_scenario(infra: Infra, name: str, workdir: Path, claims: int, seed: int) -> Figures:
    fault, payments_instances, extra_env = FAULTS[name]
    stack = ScratchStack(infra, workdir, prefix=f"chaos-{secrets.token_hex(3)}.")
    stack.extra_env = extra_env
    await stack.start(payments_instances)
    watch = StatusWatch(infra.kafka_bootstrap, stack.topic("claims.status.v1"))
    await watch.start()
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.kafka_bootstrap, enable_idempotence=True, acks="all", max_request_size=8 * 1024 * 1024
    )
    await producer.start()
    figures = Figures(name)
    try:
        scene = Scene(stack, producer, claims_for(claims, seed))
        await publish_registry(producer, stack.prefix, scene.claims)
        moments: dict[str, float] = {}

        async def publish() -> None:
            await publish_claims(producer, stack.prefix, scene.claims)
            moments["published"] = time.monotonic()

        flowing = asyncio.gather(publish(), fault(scene))
        while not flowing.done():
            await watch.poll()
        _published, restored_at = flowing.result()
        published_at = moments["published"]
        await watch.until_final({c.claim_id for c in scene.claims}, timeout_s=180)
        finals = [t for t, e in watch.events if e["claim_id"] in {c.claim_id for c in scene.claims}]
        figures.settle_s = round(max(finals) - published_at, 1) if finals else -1
        if restored_at is not None:
            gap = watch.first_event_after(restored_at)
            figures.recovery_s = round(gap, 1) if gap is not None else None
        await measure(stack, watch, {c.claim_id for c in scene.claims}, figures)
        dead = [n for n, alive in stack.alive().items() if not alive]
        figures.notes.append("all alive" if not dead else f"exited: {', '.join(dead)}")
        figures.personal_data_in_logs = personal_data_in(stack.log_text(), scene.claims)
    finally:
        await producer.stop()
        await watch.stop()
        codes, seconds = await stack.stop()
    unclean = {name: code for name, code in codes.items() if code != 0}
    figures.graceful_exit = not unclean
    figures.notes.append(f"SIGTERM: all exited 0 in {seconds:.1f} s" if not unclean else f"SIGTERM exits: {unclean}")
    return figures


def personal_data_in(logs: str, claims: list) -> int:
    """How many of the applicants' IBANs, e-mail addresses and names appear raw in the services' logs."""
    seeded = set()
    for claim in claims:
        body = claim.event["claim"]
        seeded |= {body["bank_account"]["iban"], body["contact"]["email"], body["contact"]["full_name"]}
    return sum(1 for value in seeded if value and value in logs)


async def run_suite(infra: Infra, names: list[str], claims: int, seed: int = 7) -> list[Figures]:
    results = []
    # GUICHET_CHAOS_KEEP=1 keeps each scenario's logs, mail and SEPA files for a post-mortem.
    keep = bool(os.environ.get("GUICHET_CHAOS_KEEP"))
    folder = Path(tempfile.mkdtemp(prefix="guichet-chaos-"))
    try:
        for index, name in enumerate(names):
            print(f"... {name}", flush=True)
            results.append(await run_scenario(infra, name, folder / f"s{index}", claims, seed + index))
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
