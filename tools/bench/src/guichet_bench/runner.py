"""One benchmark run, on a scratch stack of its own: the transport limit, then latency at a fixed offered load, then
throughput on a backlog of N claims, with the services' memory and CPU and the databases' size."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from guichet_bench.load import EncodedClaim, FinalWatch, generate, percentile, publish_claims
from guichet_bench.resources import count_rows, cpu_by_program, database_bytes, sample_all
from guichet_bench.transport import TransportResult, measure_transport_limit
from guichet_common.kafka_admin import delete_topics_with_prefix
from guichet_deploy.infra import Infra
from guichet_deploy.kafka_cluster import broker_count, start_cluster
from guichet_deploy.scratch import ScratchStack
from guichet_simulator.publisher import kafka_producer
from guichet_simulator.watch import TopicFollower

_ERROR_LEVEL = re.compile(r'"level": ?"(error|critical)"')


@dataclass(frozen=True)
class BenchOptions:
    claims: int = 115_000
    rate: float = 300.0
    latency_seconds: float = 60.0
    seed: int = 2021
    timeout_s: float = 3600.0
    profile_dir: Path | None = None  # py-spy collapsed stacks of each service during the throughput phase
    instances: int = 1  # processes of every service, sharing its consumer groups and database
    kafka_nodes: int = 1  # more than 1: a KRaft cluster of the run's own (replication 3, min ISR 2)


@dataclass
class BenchRun:
    options: BenchOptions
    transport: TransportResult | None = None
    latency_claims: int = 0
    latencies_s: list[float] = field(default_factory=list)
    latencies_not_held_s: list[float] = field(default_factory=list)  # without those held for the registry
    stage_ms: dict[str, float] = field(default_factory=dict)  # median time from publish to each status
    throughput_seconds: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    rss_series: list[tuple[int, dict[str, float]]] = field(default_factory=list)  # (claims final, rss per service)
    cpu_by_program: dict[str, float] = field(default_factory=dict)  # the whole machine, throughput phase
    database_bytes: dict[str, int] = field(default_factory=dict)
    claims_in_databases: int = 0
    log_errors: int = 0  # lines at level error or above in the services' logs
    dead_letters: int = 0


async def run_bench(infra: Infra, options: BenchOptions, say: Callable[[str], None]) -> BenchRun:
    workdir = Path(tempfile.mkdtemp(prefix="guichet-bench-"))
    cluster = None
    succeeded = False
    try:
        if options.kafka_nodes > 1:
            say(f"Starting a {options.kafka_nodes}-node Kafka cluster of the run's own...")
            cluster = await start_cluster(workdir / "kafka", options.kafka_nodes)
            # Everything below (transport limit, services, watchers) then talks to the cluster instead.
            infra = dataclasses.replace(infra, kafka_bootstrap=cluster.bootstrap)
        run = await _run_bench(infra, options, workdir, say)
        succeeded = True
        return run
    finally:
        if cluster is not None:  # before the folder holding its logs goes
            await asyncio.to_thread(cluster.stop)
        if succeeded:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            say(f"The run failed; the services' logs are kept in {workdir / 'logs'}")


async def _run_bench(infra: Infra, options: BenchOptions, workdir: Path, say: Callable[[str], None]) -> BenchRun:
    run = BenchRun(options)
    prefix = f"bench-{secrets.token_hex(3)}."
    latency_set = generate(int(options.rate * options.latency_seconds), options.seed, "L")
    backlog = generate(options.claims, options.seed + 1, "T")
    say(
        f"Generated {len(latency_set.claims):,} claims for the latency phase "
        f"and {len(backlog.claims):,} for the throughput phase"
    )

    say(f"Transport limit: {len(backlog.claims):,} messages through the same number of hops, no database...")
    payloads = [(claim.key, claim.value) for claim in backlog.claims]
    # The services' topics get the replication the brokers allow (ScratchStack); the transport's the same.
    replication = min(3, max(1, await broker_count(infra.kafka_bootstrap)))
    run.transport = await measure_transport_limit(
        infra.kafka_bootstrap, payloads, prefix=prefix, logs=workdir, replication_factor=replication
    )
    del payloads
    say(f"  {run.transport.messages_per_s:,.0f} messages/s ({run.transport.seconds:.1f} s)")

    # The sink discards: delivering mail is the mail server's work, and it would share our two cores here.
    stack = ScratchStack(infra, workdir, prefix=prefix, keep_mail=False, replication_factor=replication)
    try:
        await stack.start(instances=options.instances)
        await _load_registry(stack, {**latency_set.registry, **backlog.registry}, say)
        await _latency_phase(stack, run, latency_set.claims, say)
        await _throughput_phase(stack, run, backlog.claims, say)
        run.database_bytes = await database_bytes(stack.database_urls)
        run.claims_in_databases = await count_rows(stack.database_urls["intake"], "claims")
        run.log_errors = count_log_errors(stack.logs)
        run.dead_letters = await count_dead_letters(infra.kafka_bootstrap, prefix)
    finally:
        await stack.stop()
        await delete_topics_with_prefix(infra.kafka_bootstrap, prefix)
    return run


async def _load_registry(stack: ScratchStack, records: dict[str, bytes], say: Callable[[str], None]) -> None:
    """Registry records first, as the SIRENE feed would have delivered them long before the claims."""
    started = time.monotonic()
    topic = stack.topic("registry.companies.v1")
    async with kafka_producer(stack.infra.kafka_bootstrap) as producer:
        for siren, record in records.items():
            await producer.send(topic, value=record, key=siren.encode())
        await producer.flush()
    while await count_rows(stack.database_urls["eligibility"], "companies") < len(records):
        await asyncio.sleep(0.5)
    say(f"Registry: {len(records):,} companies loaded by eligibility in {time.monotonic() - started:.1f} s")


async def _latency_phase(
    stack: ScratchStack, run: BenchRun, claims: list[EncodedClaim], say: Callable[[str], None]
) -> None:
    if not claims:
        return
    say(f"Latency: {len(claims):,} claims at {run.options.rate:g} claims/s...")
    watch, sent_at = await _publish_and_watch(stack, claims, rate=run.options.rate, timeout_s=run.options.timeout_s)
    run.latency_claims = len(claims)
    run.latencies_s = [watch.reached[claim_id] - sent_at[claim_id] for claim_id in watch.reached]
    run.latencies_not_held_s = [
        watch.reached[claim_id] - sent_at[claim_id]
        for claim_id in watch.reached
        if claim_id not in watch.held_for_registry
    ]
    run.stage_ms = {
        status: round(percentile([seen - sent_at[claim_id] for claim_id, seen in by_claim.items()], 0.5) * 1000, 1)
        for status, by_claim in watch.stages.items()
    }
    p50, p99 = (percentile(run.latencies_s, fraction) * 1000 for fraction in (0.5, 0.99))
    say(f"  p50 {p50:,.0f} ms, p99 {p99:,.0f} ms")


async def _throughput_phase(
    stack: ScratchStack, run: BenchRun, claims: list[EncodedClaim], say: Callable[[str], None]
) -> None:
    say(f"Throughput: {len(claims):,} claims published as fast as a portal can...")
    pids = {name: stack.processes[name].pid for name in stack.service_processes}
    before, machine_before = sample_all(pids), cpu_by_program()
    profilers = _start_profilers(pids, run.options.profile_dir)
    last_tick = [0.0]

    def on_tick(final: int) -> None:
        if time.monotonic() - last_tick[0] >= 1.0:
            last_tick[0] = time.monotonic()
            run.rss_series.append((final, {n: s.rss_mb for n, s in sample_all(pids).items()}))
            say(f"  final {final:>9,}/{len(claims):,}")

    watch, sent_at = await _publish_and_watch(
        stack, claims, rate=None, timeout_s=run.options.timeout_s, on_tick=on_tick
    )
    run.throughput_seconds = max(watch.reached.values()) - min(sent_at.values())
    after = sample_all(pids)
    run.rss_series.append((len(watch.reached), {n: s.rss_mb for n, s in after.items()}))
    _stop_profilers(profilers)
    run.cpu_s = {name: after[name].cpu_s - before[name].cpu_s for name in after if name in before}
    machine_after = cpu_by_program()
    used = {name: seconds - machine_before.get(name, 0.0) for name, seconds in machine_after.items()}
    run.cpu_by_program = dict(sorted(((n, s) for n, s in used.items() if s >= 0.5), key=lambda item: -item[1]))
    run.peak_rss_mb = {name: sample.peak_rss_mb for name, sample in after.items()}
    run.statuses = dict(sorted(Counter(watch.statuses.values()).items()))
    say(f"  {len(claims):,} claims final in {run.throughput_seconds:.1f} s")


async def _publish_and_watch(
    stack: ScratchStack,
    claims: list[EncodedClaim],
    *,
    rate: float | None,
    timeout_s: float,
    on_tick: Callable[[int], None] | None = None,
) -> tuple[FinalWatch, dict[str, float]]:
    follower = TopicFollower(stack.infra.kafka_bootstrap, stack.topic("claims.status.v1"))
    await follower.start()
    watch = FinalWatch(follower, frozenset(c.claim_id for c in claims), track_stages=rate is not None)
    try:
        async with kafka_producer(stack.infra.kafka_bootstrap) as producer:
            publishing = asyncio.create_task(
                publish_claims(producer, claims, stack.topic("claims.submitted.v1"), rate=rate)
            )
            await watch.until_all_final(timeout_s, on_tick)
            sent_at = await publishing
    finally:
        await follower.stop()
    return watch, sent_at


def count_log_errors(folder: Path) -> int:
    """Lines at level error or above in the services' JSON logs: a clean run has none."""
    errors = 0
    for path in folder.glob("*.log"):
        with path.open(encoding="utf-8", errors="replace") as log:
            errors += sum(1 for line in log if _ERROR_LEVEL.search(line))
    return errors


async def count_dead_letters(bootstrap: str, prefix: str) -> int:
    """Messages on the run's dead-letter topics (`*.dlq`): a run of well-formed claims has none."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        topics = [t for t in await consumer.topics() if t.startswith(prefix) and t.endswith(".dlq")]
        partitions = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
        return sum((await consumer.end_offsets(partitions)).values()) if partitions else 0
    finally:
        await consumer.stop()


def _start_profilers(pids: dict[str, int], folder: Path | None) -> list[subprocess.Popen]:
    if folder is None or shutil.which("py-spy") is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                "py-spy",
                "record",
                "--pid",
                str(pid),
                "--format",
                "raw",
                "--rate",
                "50",
                "-o",
                str(folder / f"{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    ]


def _stop_profilers(profilers: list[subprocess.Popen]) -> None:
    for profiler in profilers:
        profiler.send_signal(2)  # SIGINT: py-spy writes its file and exits
    for profiler in profilers:
        profiler.wait(timeout=60)
