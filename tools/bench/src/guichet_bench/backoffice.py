"""`make bench-backoffice`: `python -m guichet_bench.backoffice [--claims N] [--requests R] [--out FILE]`.

How fast the review queue answers a caseworker with a large read model (issue 15: under 200 ms at p95 with
100,000 claims). The back-office runs as its own process (uvicorn, as in production) on a scratch database and
topic prefix of its own, removed afterwards; the read model is seeded with N claims, a caseworker signs in through
the sign-in form, and the queue is loaded R times one after another over real HTTP, unfiltered and with each
filter. Prints p50/p95/p99 per page; not a test (figures depend on the machine), a figure for the notes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import asyncpg
import httpx

from guichet_bench.backoffice_http import Timing, signed_in_client, time_page
from guichet_common.cli import positive
from guichet_common.kafka_admin import delete_topics_with_prefix
from guichet_deploy.infra import Infra
from guichet_deploy.postgres import drop_databases, provision_databases
from guichet_deploy.procs import free_port, stop_children

QUEUE = "/demandes/a-verifier"
# The queue as a caseworker opens it, then narrowed the ways the page offers.
PAGES = (
    ("review queue", QUEUE),
    ("review queue, one programme", QUEUE + "?programme=cheque-france-num-2021"),
    ("review queue, code INVOICE_REUSED", QUEUE + "?code=INVOICE_REUSED"),
    ("review queue, older than 7 days", QUEUE + "?age=7"),
    # The rarest code possible: walking the queue in order would read every claim under review to find none.
    ("review queue, a code no claim has", QUEUE + "?code=ALREADY_AIDED"),
)
BENCH_LOGIN = "bench-caseworker"


def say(text: str) -> None:
    print(text, flush=True)


def _spawn(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "guichet_backoffice"], env=env, stdout=out, stderr=subprocess.STDOUT
        )


async def _until_ready(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the back-office exited at start:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                if (await client.get(url + "/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
    raise RuntimeError(f"the back-office was not ready after {timeout_s} s")


async def _seed_and_account(database_url: str, claims: int) -> str:
    """Seed the read model with `claims` claims; create the caseworker who signs in; return its password."""
    from guichet_backoffice.operators import accounts, seed_claims

    password = "bench-" + secrets.token_urlsafe(12)
    connection = await asyncpg.connect(database_url)
    try:
        started = time.monotonic()
        await seed_claims(connection, claims)
        say(f"Seeded {claims} claims in {time.monotonic() - started:.1f} s.")
        async with connection.transaction():
            one_time = await accounts.add(connection, BENCH_LOGIN, "caseworker", by="bench")
            await accounts.change_password(connection, BENCH_LOGIN, one_time, password)
    finally:
        await connection.close()
    return password


async def run(infra: Infra, claims: int, requests: int) -> list[Timing]:
    assert infra.pg_admin_dsn, "the benchmark creates a database of its own: it needs PostgreSQL's admin DSN"
    label = f"benchbo{secrets.token_hex(3)}"
    prefix, suffix = f"{label}.", f"_{label}"
    workdir = Path(tempfile.mkdtemp(prefix="guichet-bench-backoffice-"))
    database_url = (await provision_databases(infra.pg_admin_dsn, ["backoffice"], suffix=suffix))["backoffice"]
    process: subprocess.Popen | None = None
    try:
        port = free_port()
        env = {
            **os.environ,
            **infra.service_env(),
            "BACKOFFICE_DATABASE_URL": database_url,
            "BACKOFFICE_HTTP_PORT": str(port),
            "GUICHET_TOPIC_PREFIX": prefix,
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "WARNING",  # no access log line per request in the figures
        }
        log = workdir / "backoffice.log"
        process = _spawn(env, log)
        url = f"http://127.0.0.1:{port}"
        say(f"Back-office starting on {url} (database and topics of this run's own)...")
        await _until_ready(url, process, log)
        password = await _seed_and_account(database_url, claims)
        client = await signed_in_client(url, BENCH_LOGIN, password)
        try:
            timings = []
            for name, path in PAGES:
                timings.append(await time_page(client, name, path, requests))
                say(timings[-1].line())
            return timings
        finally:
            await client.aclose()
    finally:
        if process is not None:
            stop_children([process])
        await drop_databases(infra.pg_admin_dsn, ["backoffice"], suffix=suffix)
        await delete_topics_with_prefix(infra.kafka_bootstrap, prefix)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guichet_bench.backoffice", description=__doc__)
    parser.add_argument("--claims", type=positive(int), default=100_000, help="claims in the read model (100000)")
    parser.add_argument("--requests", type=positive(int), default=300, help="timed loads of each page (300)")
    parser.add_argument("--out", type=Path, default=None, help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    from guichet_deploy.infra import ensure_infra

    say("Starting infrastructure (Kafka, PostgreSQL)...")
    infra = ensure_infra()
    timings = asyncio.run(run(infra, args.claims, args.requests))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    say(f"\nReview queue with {args.claims} claims in the read model, {args.requests} sequential loads each")
    say(f"(machine: {os.cpu_count()} CPUs, load average {load} at the end):")
    for timing in timings:
        say(timing.line())
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        figures = {"claims": args.claims, "load_average": os.getloadavg(), "pages": [asdict(t) for t in timings]}
        args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        say(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
