"""The back-office's dashboard agrees with `guichet report --json` and `guichet status --json` where they overlap, on
a simulated run of a stack of its own (finance settling and returning payments): its read model is built from the
events alone, the console reads the services' databases."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from guichet_backoffice import read_model
from guichet_deploy.procs import stop_children
from guichet_simulator.generator import generate_claims
from guichet_simulator.publisher import publish_simulation
from guichet_simulator.regional import mix_programmes

pytestmark = pytest.mark.e2e
STOPS = {"refused", "rejected", "under_review", "waitlisted", "paid", "payment_returned"}


def spawn(module: str, env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", module, *args], env=env, stdout=out, stderr=out)


def console_json(stack: Any, *args: str) -> dict[str, Any]:
    result = stack.console(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def from_report(report: dict[str, Any]) -> dict[str, Any]:
    claims = report["claims"]
    return {
        "eligibility": {s: claims[s] for s in ("awaiting_registry", "under_review", "approved", "rejected")},
        "rejections_by_reason": report["rejections_by_reason"],
        "registered": claims["registered"],
        "waitlisted": claims["waitlisted"],
        "beneficiaries": claims["beneficiaries"],
        "payments_by_status": report["payments_by_status"],
    }


def from_dashboard(figures: read_model.Dashboard) -> dict[str, Any]:
    return {
        "eligibility": dict(figures.eligibility),
        "rejections_by_reason": dict(figures.rejections_by_reason),
        "registered": figures.registered,
        "waitlisted": figures.waitlisted,
        "beneficiaries": figures.beneficiaries,
        "payments_by_status": {
            s: {"count": f.count, "amount_cents": f.amount_cents} for s, f in figures.payments_by_status.items()
        },
    }


def budgets_of(figures: read_model.Dashboard) -> dict[str, dict[str, int]]:
    keys = ("total_cents", "reserved_cents", "paid_cents", "released_cents", "available_cents")
    return {b.programme: {k: getattr(b, k) for k in keys} for b in figures.budgets}


async def test_the_dashboard_shows_the_reports_and_the_status_figures(
    infra: Any, probe: Any, run_id: str, tmp_path: Path, private_stack: Any
) -> None:
    label = f"bf{run_id}"
    claims = mix_programmes(generate_claims(60, seed=2015, run_id=f"BF{run_id}", problem_share=0.3))
    (tmp_path / "stack").mkdir()
    async with private_stack(label, tmp_path / "stack") as stack:
        database_url = stack.database_urls["backoffice"]  # the stack's own back-office, a service like the others
        finance = spawn("guichet_finance", stack.env, tmp_path / "finance.log", "--kafka", "--return-every", "7")
        try:
            await publish_simulation(claims, bootstrap_servers=infra.kafka_bootstrap, prefix=stack.topic_prefix)
            ids = {c.claim_id for c in claims}

            def settled(records: list[Any]) -> bool:
                latest = {v["claim_id"]: v["status"] for r in records if (v := json.loads(r.value))["claim_id"] in ids}
                return latest.keys() == ids and set(latest.values()) <= STOPS

            await probe.read_until(stack.topic("claims.status.v1"), settled, timeout_s=180)
            report = console_json(stack, "report")
            status = console_json(stack, "status")
            expected = from_report(report)
            conn = await asyncpg.connect(database_url)
            try:
                deadline = time.monotonic() + 60
                while True:  # the back-office reads the same events, on its own consumers: let it catch up
                    figures = await read_model.dashboard(conn)
                    if from_dashboard(figures) == expected or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.5)
            finally:
                await conn.close()
        finally:
            stop_children([finance])
        backoffice = stack.processes["backoffice"]
        assert backoffice.poll() is None, stack.log_text()[-3000:]

    assert from_dashboard(figures) == expected
    assert budgets_of(figures) == status["budgets"]
    assert figures.registered > 0 and figures.payments_by_status["settled"].count > 0
    dead_letters = {topic: f["dead_letters"]["total"] for topic, f in status["topics"].items() if f["dead_letters"]}
    assert {t.removeprefix(stack.topic_prefix): f["total"] for t, f in figures.dead_letters_by_topic.items()} == {
        topic: total for topic, total in dead_letters.items() if total
    }
    for service, kinds in status["set_aside"].items():
        assert dict(figures.set_aside_by_service.get(service, {})) == kinds, service
