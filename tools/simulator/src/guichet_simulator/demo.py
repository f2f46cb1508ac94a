"""`make demo`: start everything, publish a few thousand synthetic claims, show them flow, summarise, stop.

Run with `guichet demo run [--claims N] [--seed S] [--keep-running]` or `python -m guichet_simulator.demo ...`.
"""

from __future__ import annotations

import asyncio
import mailbox
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from guichet_common.cli import run_command
from guichet_common.contracts.status import ClaimStatus
from guichet_simulator.demo_gateway import PORTAL, HttpPortalRun, post_over_http, read_histories
from guichet_simulator.followup import BankDetailsFollowUp
from guichet_simulator.generator import SimulatedClaim, generate_claims
from guichet_simulator.publisher import kafka_producer, publish_simulation
from guichet_simulator.regional import mix_programmes, programme_of
from guichet_simulator.watch import FINAL_STATUSES, RunView, TopicFollower

STATUS_ORDER: tuple[ClaimStatus, ...] = ("received", *sorted(FINAL_STATUSES), "approved", "payment_scheduled")


def say(text: str = "") -> None:
    print(text, flush=True)


async def run(claim_count: int, seed: int, timeout_s: float, keep_running: bool) -> int:
    from guichet_deploy.backoffice import first_admin_lines
    from guichet_deploy.infra import ensure_infra, stop_infra
    from guichet_deploy.services import start_services, stop_services

    started = time.monotonic()
    say("Starting infrastructure (Kafka, PostgreSQL, SMTP sink)...")
    infra = await asyncio.to_thread(ensure_infra)
    say(f"  infrastructure ready in {time.monotonic() - started:.1f} s ({infra.source}: Kafka {infra.kafka_bootstrap})")
    finance = None
    try:
        await asyncio.to_thread(start_services, infra)
        finance = _start_finance(infra)
        say(
            "  services started: intake, eligibility, payments, notifications, gateway, backoffice (+ a bank, in files)"
        )
        for line in await first_admin_lines(infra):  # the back-office's address and its first admin
            say(line)
        say("  watch it live from another terminal: uv run guichet status --watch")
        code = await _simulate(infra, claim_count, seed, timeout_s)
        code = code or _reconcile(infra)
        await _print_status(infra)
        return code
    finally:
        if finance is not None:
            finance.terminate()
            finance.wait(timeout=20)
        if not keep_running:
            say("Stopping everything the demo started...")
            await asyncio.to_thread(stop_services, infra.state_dir)
            await asyncio.to_thread(stop_infra, infra.state_dir)


async def _simulate(infra, claim_count: int, seed: int, timeout_s: float) -> int:
    run_id = f"D{seed:x}"[:12]
    claims = mix_programmes(generate_claims(claim_count, seed, run_id=run_id))
    view = RunView(claim_ids=frozenset(c.claim_id for c in claims))
    statuses = TopicFollower(infra.kafka_bootstrap, "claims.status.v1")
    payments = TopicFollower(infra.kafka_bootstrap, "payments.issued.v1")
    await statuses.start()
    await payments.start()
    holders = {c.claim_id: c.event["claim"]["bank_account"]["holder_name"] for c in claims}
    try:
        received_before = await _intake_received(infra)
        portal, over_kafka, key = await post_over_http(infra, _gateway_url(infra), claims)
        if portal.accepted:
            say(f"Posted {len(portal.accepted)} claims over HTTP to {portal.url}v1/claims as the portal {PORTAL}")
        say(f"Publishing {len(over_kafka)} synthetic claims (run {run_id}, seed {seed})...")
        published = await publish_simulation(over_kafka, bootstrap_servers=infra.kafka_bootstrap)
        say(
            f"  published {published.registry_records} registry records and {published.claims} claims "
            f"({published.claims_per_second:,.0f} claims/s)"
        )
        began = time.monotonic()
        async with kafka_producer(infra.kafka_bootstrap) as producer:
            followup = BankDetailsFollowUp(producer, holders, seed=seed)
            await _follow(view, statuses, payments, followup, claim_count, timeout_s)
        elapsed = time.monotonic() - began
        mails = await _wait_for_mail(infra.maildir, run_id, expected=view.finished)
        await read_histories(portal, key)
    finally:
        await statuses.stop()
        await payments.stop()
    _summary(view, claims, elapsed, mails, infra, portal)
    received = await _intake_received(infra) - received_before
    sent = published.claims + len(portal.accepted)
    adds_up = received == sent
    say(
        f"  guichet status: intake received {received:,} claims during this run, the simulator sent "
        f"{sent:,} ({published.claims:,} on Kafka, {len(portal.accepted)} over HTTP): "
        f"{'they add up' if adds_up else 'THEY DO NOT ADD UP'}"
    )
    return 0 if view.finished == claim_count and adds_up else 1


async def _follow(
    view: RunView,
    statuses: TopicFollower,
    payments: TopicFollower,
    followup: BankDetailsFollowUp,
    total: int,
    timeout_s: float,
) -> None:
    deadline = time.monotonic() + timeout_s
    last_print = 0.0
    while view.finished < total and time.monotonic() < deadline:
        for event in await statuses.poll():
            view.observe_status(event)
        for event in await payments.poll():
            view.observe_payment(event)
        await followup.answer(view.returned)
        if time.monotonic() - last_print >= 1.0 or view.finished == total:
            last_print = time.monotonic()
            counts = view.by_status()
            detail = "  ".join(f"{s} {counts[s]}" for s in STATUS_ORDER if counts[s])
            say(f"  final {view.finished:>6}/{total}  |  {detail}")
    # Payments are announced before their final status; catch any still in flight.
    for event in await payments.poll():
        view.observe_payment(event)


async def _wait_for_mail(maildir: Path | None, run_id: str, expected: int, quiet_s: float = 5.0) -> int | None:
    """Mails about this run's claims in the local sink, once they stop arriving (None: external SMTP)."""
    if maildir is None:
        return None
    marker = f"CFN-{run_id}-"
    seen, last_change, count = set(), time.monotonic(), 0
    while time.monotonic() - last_change < quiet_s and count < expected:
        box = mailbox.Maildir(maildir, create=True)
        for key in box.iterkeys():
            if key not in seen:
                seen.add(key)
                if marker in box.get_bytes(key).decode("utf-8", "replace"):
                    count += 1
                    last_change = time.monotonic()
        await asyncio.sleep(0.3)
    return count


def _summary(
    view: RunView, claims: list[SimulatedClaim], seconds: float, mails: int | None, infra, portal: HttpPortalRun
) -> None:
    counts = view.by_status()
    expected = Counter(c.expected_status for c in claims)
    differing = [c for c in claims if _outcome(view, c) != (c.expected_status, c.expected_reasons)]
    say()
    say("Summary")
    say(f"  claims published          {len(claims):>8}")
    say(f"  with a final status       {view.finished:>8}   in {seconds:.1f} s")
    for status in sorted(set(counts) | set(expected)):
        say(f"    {status:<22}  {counts[status]:>8}   (simulator expected {expected[status]})")
    say(f"  as the simulator predicted {len(claims) - len(differing):>7}   (status and reasons)")
    for claim in differing[:5]:
        status, reasons = _outcome(view, claim)
        why = "  <- SIREN drawn again from an earlier run" if reasons == ("ALREADY_AIDED",) else ""
        say(
            f"    {claim.claim_id}: expected {claim.expected_status} {list(claim.expected_reasons)}, "
            f"got {status} {list(reasons)}{why}"
        )
    say(
        f"  payments issued           {len(view.payments):>8}   ({len(view.returned)} returned by the bank, "
        f"{view.reissued} sent again after new bank details)"
    )
    say(f"  amount reserved           {view.reserved_cents() / 100:>11,.2f} €")
    for programme in sorted({programme_of(c) for c in claims}):
        mine = [c for c in claims if programme_of(c) == programme]
        paid = [p for p in view.payments.values() if p["programme"] == programme]
        say(
            f"    {programme:<28} {len(mine):>6} claims, {len(paid):>6} paid, "
            f"{sum(p['amount_cents'] for p in paid) / 100:>13,.2f} €"
        )
    say(f"  e-mails sent              {mails if mails is not None else 'n/a (external SMTP)':>8}")
    say(portal.summary_line())
    if line := portal.webhooks_line():
        say(line)
    say(f"  service logs              {infra.state_dir / 'logs'}")
    if infra.maildir is not None:
        say(f"  mail (Maildir)            {infra.maildir}")


def _gateway_url(infra) -> str:
    from guichet_deploy.services import http_ports, service_url

    return service_url(http_ports(infra.state_dir), "gateway")


def _outcome(view: RunView, claim: SimulatedClaim) -> tuple[str | None, tuple[str, ...]]:
    event = view.latest.get(claim.claim_id)
    return (event["status"], tuple(event["reasons"])) if event else (None, ())


def _start_finance(infra) -> subprocess.Popen:
    """The bank's side for the demo, in files: it reads the pain.001 files payments writes and answers with
    camt.054 and pain.002 files in payments' inbound folder, settling most payments and returning a few (AC04 /
    AC01). The folders are the ones the stack's payments uses (its settings, under the same environment)."""
    from guichet_payments.operators import PaymentsSettings

    payments = PaymentsSettings()
    folders = ["--outbound", str(payments.files_dir), "--inbound", str(payments.inbound_dir)]
    log = (infra.state_dir / "logs" / "finance.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "guichet_finance", "--files", *folders],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "LOG_FORMAT": "json"},
    )


async def _print_status(infra) -> None:
    """The operators' status screen as the run ends: every stage's figures, read from the services' databases."""
    from guichet_console.connect import current_stack
    from guichet_console.status import print_status

    say()
    say("Pipeline status (guichet status; figures since the databases were created, earlier demo runs included)")
    await print_status(current_stack(infra.service_env()))


async def _intake_received(infra) -> int:
    """What `guichet status` counts as received by intake (earlier runs on the same databases included)."""
    from guichet_console.connect import current_stack
    from guichet_console.status_collect import collect

    stage = (await collect(current_stack(infra.service_env()))).services["intake"].stage
    assert stage is not None, "intake's database is unreachable"
    return stage.received


def _reconcile(infra) -> int:
    say()
    say("Reconciliation (guichet reconcile)")
    result = subprocess.run(
        [sys.executable, "-m", "guichet_console", "reconcile"],
        env={**os.environ, "PAYMENTS_DATABASE_URL": infra.database_urls["payments"]},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    say(result.stdout.rstrip())
    if result.returncode:
        say(result.stderr.rstrip())
    return result.returncode


def main(argv: list[str] | None = None) -> int:
    """`python -m guichet_simulator.demo`: the same typer command as `guichet demo run`."""
    from guichet_simulator.cli import demo_app

    return run_command(demo_app, argv, prog_name="python -m guichet_simulator.demo")


if __name__ == "__main__":
    sys.exit(main())
