"""`python -m guichet_bench.gateway [--claims N] [--rate R ...] [--connections C] [--out FILE]`.

The portals' HTTP door (issue 17): how many `POST /v1/claims` per second the gateway accepts, with what latency,
while the pipeline behind it keeps up. The four pipeline services and a gateway run as processes on a scratch
stack of their own (topic prefix and databases, removed afterwards); a portal is added, the companies' registry
records are loaded, then for each offered rate N claims are posted over HTTP (a pool of C keep-alive connections)
and their statuses followed on `claims.status.v1` until each is final. Not a test: figures for the notes.

Per rate it prints the POSTs accepted per second and their p50/p95/p99, then the final statuses per second and the
lag of the last one behind the last POST: the pipeline keeps up while that lag stays a few seconds (the registry's
grace and the payment batches' age) instead of growing with the run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import orjson

from guichet_bench.gateway_http import ClaimBody, PostFigures, post_claims
from guichet_bench.load import FinalWatch
from guichet_bench.runner import _load_registry
from guichet_common.cli import positive
from guichet_common.kafka_admin import delete_topics_with_prefix
from guichet_deploy.infra import Infra
from guichet_deploy.postgres import drop_databases, provision_databases
from guichet_deploy.procs import free_port, stop_children
from guichet_deploy.scratch import ScratchStack
from guichet_simulator.generator import generate_claims
from guichet_simulator.regional import mix_programmes
from guichet_simulator.watch import TopicFollower

KEEPS_UP_LAG_S = 10.0  # registry grace (2 s) + batch age + a consumer's turn: more means a backlog builds


@dataclass(frozen=True)
class RatePhase:
    posts: PostFigures
    finals: int
    finals_per_s: float
    lag_s: float  # last final status after the last accepted POST

    def lines(self) -> list[str]:
        p = self.posts
        offered = "flat out" if p.target_rate is None else f"{p.target_rate:g}/s offered"
        answers = ", ".join(f"{code or 'error'}: {n}" for code, n in sorted(p.answers.items()))
        return [
            f"{offered:>16}  POST accepted {p.accepted_per_s:7.1f}/s   p50 {p.latency_ms(0.5):6.1f} ms   "
            f"p95 {p.latency_ms(0.95):6.1f} ms   p99 {p.latency_ms(0.99):6.1f} ms   max {max(p.latencies_ms):6.1f} ms",
            f"{'':>16}  final statuses {self.finals_per_s:6.1f}/s   {self.finals}/{len(p.accepted_at)} final, "
            f"last {self.lag_s:5.1f} s after the last POST: {'keeps up' if self.keeps_up else 'falls behind'}"
            f"   ({answers})",
        ]

    @property
    def keeps_up(self) -> bool:
        return self.finals == len(self.posts.accepted_at) and self.lag_s <= KEEPS_UP_LAG_S


def say(text: str) -> None:
    print(text, flush=True)


def claim_sets(count: int, rates: list[float | None], seed: int) -> tuple[list[list[ClaimBody]], dict[str, bytes]]:
    """`count` claims per rate (both programmes, the simulator's usual share of problems), and their companies."""
    sets, registry = [], {}
    for phase in range(len(rates)):
        claims = mix_programmes(generate_claims(count, seed + phase, run_id=f"BH{seed:x}{phase}"))
        sets.append([ClaimBody(c.claim_id, orjson.dumps(c.event["claim"])) for c in claims])
        registry |= {c.siren: orjson.dumps(c.registry_record) for c in claims if c.registry_record is not None}
    return sets, registry


async def add_portal(database_url: str) -> str:
    from guichet_gateway import operators

    connection = await asyncpg.connect(database_url)
    try:
        async with connection.transaction():
            now = dt.datetime.now(dt.UTC)
            key = await operators.add_portal(connection, "bench-portal", rate_limit_per_minute=10_000_000, now=now)
    finally:
        await connection.close()
    return key.api_key


async def one_rate(
    stack: ScratchStack, url: str, api_key: str, claims: list[ClaimBody], rate: float | None, connections: int
) -> RatePhase:
    follower = TopicFollower(stack.infra.kafka_bootstrap, stack.topic("claims.status.v1"))
    await follower.start()
    watch = FinalWatch(follower, frozenset(c.claim_id for c in claims))
    try:
        posting = asyncio.create_task(post_claims(url, api_key, claims, rate=rate, connections=connections))
        while not posting.done():
            await watch.poll()
        posts = await posting
        watch.claim_ids = frozenset(posts.accepted_at)
        try:
            await watch.until_all_final(timeout_s=max(120.0, posts.seconds * 3))
        except TimeoutError as error:
            say(f"  {error}")
    finally:
        await follower.stop()
    last_final = max(watch.reached.values(), default=posts.last_answered)
    return RatePhase(
        posts,
        finals=len(watch.reached),
        finals_per_s=len(watch.reached) / max(last_final - posts.first_sent, 1e-9),
        lag_s=last_final - posts.last_answered,
    )


async def run(infra: Infra, args: argparse.Namespace) -> list[RatePhase]:
    rates: list[float | None] = [r or None for r in args.rate]
    sets, registry = claim_sets(args.claims, rates, args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="guichet-bench-gateway-"))
    stack = ScratchStack(infra, workdir, prefix=f"benchgw-{secrets.token_hex(3)}.", keep_mail=False)
    suffix = "_" + stack.prefix.strip(".").replace("-", "_") + "_gw"
    gateway: subprocess.Popen | None = None
    try:
        await stack.start()
        database_url = (await provision_databases(infra.pg_admin_dsn or "", ["gateway"], suffix=suffix))["gateway"]
        port = free_port()
        env = {
            **stack.env,
            "GATEWAY_DATABASE_URL": database_url,
            "GATEWAY_HTTP_PORT": str(port),
            "LOG_LEVEL": "WARNING",  # no access log line per request in the figures
        }
        gateway = _spawn_gateway(env, stack.logs / "gateway.log")
        stack.processes["gateway"], stack.http_ports["gateway"] = gateway, port
        await stack.until_ready(["gateway"])
        url = f"http://127.0.0.1:{port}"
        say(f"Gateway on {url}, pipeline on topics {stack.prefix}*; logs in {stack.logs}")
        await _load_registry(stack, registry, say)
        api_key = await add_portal(database_url)
        phases = []
        for rate, claims in zip(rates, sets, strict=True):
            say(f"{len(claims)} claims over HTTP at {'full speed' if rate is None else f'{rate:g}/s'}...")
            phases.append(await one_rate(stack, url, api_key, claims, rate, args.connections))
            for line in phases[-1].lines():
                say(line)
        return phases
    finally:
        if gateway is not None:
            stop_children([gateway])
            stack.processes.pop("gateway", None)
        await stack.stop()
        await drop_databases(infra.pg_admin_dsn or "", ["gateway"], suffix=suffix)
        await delete_topics_with_prefix(infra.kafka_bootstrap, stack.prefix)


def _spawn_gateway(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "guichet_gateway"], env=env, stdout=log, stderr=subprocess.STDOUT
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guichet_bench.gateway", description=__doc__)
    parser.add_argument("--claims", type=positive(int), default=2_000, help="claims posted at each rate (2000)")
    parser.add_argument(
        "--rate", type=float, action="append", help="offered POSTs per second, repeatable; 0: flat out (50, 100, 0)"
    )
    parser.add_argument("--connections", type=positive(int), default=16, help="HTTP connections of the portal (16)")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--out", type=Path, default=None, help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    args.rate = args.rate or [50.0, 100.0, 0.0]
    from guichet_deploy.infra import ensure_infra

    say("Starting infrastructure (Kafka, PostgreSQL)...")
    infra = ensure_infra()
    phases = asyncio.run(run(infra, args))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    say(f"\nPOST /v1/claims, {args.claims} claims per rate, {args.connections} connections")
    say(f"(machine: {os.cpu_count()} CPUs, load average {load} at the end; the portal runs on the same machine):")
    for phase in phases:
        for line in phase.lines():
            say(line)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps([figures(p) for p in phases], indent=2) + "\n", encoding="utf-8")
        say(f"written to {args.out}")
    return 0


def figures(phase: RatePhase) -> dict:
    p = phase.posts
    return {
        "offered_per_s": p.target_rate,
        "accepted": len(p.accepted_at),
        "accepted_per_s": round(p.accepted_per_s, 1),
        "latency_ms": {f"p{int(f * 100)}": round(p.latency_ms(f), 1) for f in (0.5, 0.95, 0.99)},
        "answers": {str(code): n for code, n in p.answers.items()},
        "final_per_s": round(phase.finals_per_s, 1),
        "finals": phase.finals,
        "lag_s": round(phase.lag_s, 1),
        "keeps_up": phase.keeps_up,
    }


if __name__ == "__main__":
    sys.exit(main())
