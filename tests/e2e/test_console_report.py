"""`guichet report` end to end on a stack of its own: a small simulated run (finance settling and returning
payments), then the report's figures checked against what the run published and what the status topic said,
and the HTML page, as headless Chromium renders it, checked against `report --json`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import asyncpg
import pytest

from guichet_console.report_html import figures_on
from guichet_simulator.generator import generate_claims
from guichet_simulator.publisher import publish_simulation
from guichet_simulator.regional import mix_programmes

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Where a claim stops in this run: no operator reviews, and a returned payment gets no new bank details.
STOPS = {"refused", "rejected", "under_review", "waitlisted", "paid", "payment_returned"}
KEY_FIGURES = {
    "claims.received",
    "claims.refused",
    "claims.rejected",
    "claims.under_review",
    "claims.beneficiaries",
    "invoices.average_incl_tax_cents",
    "budget.total_cents",
    "budget.reserved_cents",
    "budget.paid_cents",
    "budget.available_cents",
    "payments_by_status.settled.count",
    "delays_seconds.submission_to_decision.p50",
    "delays_seconds.submission_to_payment.p90",
}


def guichet(stack, *args: str) -> subprocess.CompletedProcess:
    result = stack.console(*args)
    assert result.returncode == 0, result.stderr
    return result


def latest_statuses(records, claim_ids: set[str]) -> dict[str, str]:
    latest = {}
    for record in records:
        value = json.loads(record.value)
        if value.get("claim_id") in claim_ids:
            latest[value["claim_id"]] = value["status"]
    return latest


def percentile_cont(values: list[float], fraction: float) -> float:
    """PostgreSQL's percentile_cont: linear interpolation between the two nearest ranks (the test's oracle)."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def at_path(document: dict, path: str):
    for key in path.split("."):
        document = document[key]
    return document


def chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,2000", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def chromium_present() -> None:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required on CI (.ci/run installs Debian's chromium package)")
        pytest.skip("chromium not installed: `apt-get install chromium` to render the report page")


async def test_report_figures_match_the_run_and_the_html_page_matches_the_json(
    infra, probe, run_id: str, tmp_path: Path, chromium_present, private_stack
) -> None:
    label = f"rp{run_id}"
    claims = mix_programmes(generate_claims(90, seed=2021, run_id=f"RP{run_id}", problem_share=0.3))
    (tmp_path / "stack").mkdir()
    async with private_stack(label, tmp_path / "stack") as stack:
        finance = start_finance(stack.env, tmp_path / "finance.log")
        try:
            await publish_simulation(claims, bootstrap_servers=infra.kafka_bootstrap, prefix=stack.topic_prefix)
            ids = {c.claim_id for c in claims}
            records = await probe.read_until(
                stack.topic("claims.status.v1"),
                lambda rs: (found := latest_statuses(rs, ids)).keys() == ids and set(found.values()) <= STOPS,
                timeout_s=180,
            )
        finally:
            finance.terminate()
            finance.wait(timeout=20)
        statuses = latest_statuses(records, ids)
        assert set(statuses) == ids and set(statuses.values()) <= STOPS, Counter(statuses.values())

        report = json.loads(guichet(stack, "report", "--json").stdout)
        page = tmp_path / "report.html"
        guichet(stack, "report", "--html", str(page))
        cfn = json.loads(guichet(stack, "report", "--json", "--programme", "cheque-france-num-2021").stdout)
        payment_seconds = await seconds_to_payment(stack.database_urls["payments"])

    told = Counter(statuses.values())
    claims_figures = report["claims"]
    assert claims_figures["received"] == len(claims)
    assert claims_figures["refused"] == told["refused"]
    assert claims_figures["registered"] == len(claims) - told["refused"]
    assert claims_figures["rejected"] == told["rejected"] and claims_figures["under_review"] == told["under_review"]
    assert claims_figures["waitlisted"] == told["waitlisted"]
    assert (
        sum(claims_figures[s] for s in ("awaiting_registry", "under_review", "approved", "rejected"))
        == (claims_figures["registered"])
    )
    assert sum(report["refusals_by_code"].values()) >= told["refused"] > 0
    assert sum(report["rejections_by_reason"].values()) >= told["rejected"] > 0
    assert sum(day["claims"] for day in report["claims_per_day"]) == claims_figures["registered"]

    by_status = report["payments_by_status"]
    assert by_status["settled"]["count"] == told["paid"] > 0
    assert by_status["returned"]["count"] == told["payment_returned"]
    assert claims_figures["beneficiaries"] == by_status["sent"]["count"] + by_status["settled"]["count"]
    budget = report["budget"]
    assert budget["paid_cents"] == by_status["settled"]["amount_cents"]
    assert budget["available_cents"] == budget["total_cents"] - budget["reserved_cents"]
    assert report["budget_by_day"][-1]["available_cents"] == budget["available_cents"]

    registered = [c for c in claims if statuses[c.claim_id] != "refused"]
    invoices = [i["amount_incl_tax_cents"] for c in registered for i in c.event["claim"]["invoices"]]
    assert report["invoices"] == {
        "count": len(invoices),
        "average_incl_tax_cents": round(sum(invoices) / len(invoices)),
    }
    delays = report["delays_seconds"]["submission_to_payment"]
    assert delays["count"] == len(payment_seconds)
    for key, fraction in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
        assert delays[key] == pytest.approx(percentile_cont(payment_seconds, fraction), abs=0.05)

    assert 0 < cfn["claims"]["registered"] < claims_figures["registered"]  # the regional claims are left out
    assert cfn["budget"]["programmes"] == ["cheque-france-num-2021"]

    figures = rendered_figures(page, label)
    assert KEY_FIGURES <= set(figures), sorted(KEY_FIGURES - set(figures))
    for path, shown in figures.items():
        expected = at_path(report, path)
        assert (json.loads(shown) if shown else None) == expected, f"{path}: page {shown!r}, JSON {expected!r}"


def rendered_figures(page: Path, label: str) -> dict[str, str]:
    """The data-figure values of the page as Chromium renders it, and a screenshot kept for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / f"report-{label}.png"
    shot = chromium(f"--screenshot={screenshot}", page.as_uri())
    assert screenshot.exists(), shot.stderr[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 10_000
    print(f"report screenshot: {screenshot}")
    dom = chromium("--dump-dom", page.as_uri())
    assert "<svg" in dom.stdout, dom.stderr[-2000:]
    return figures_on(dom.stdout)


def start_finance(env: dict[str, str], log: Path) -> subprocess.Popen:
    """The bank's side: settles the payments, returns every seventh first attempt or so (AC04/AC01)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "guichet_finance", "--kafka", "--return-every", "7"], env=env, stdout=out, stderr=out
        )


async def seconds_to_payment(payments_database_url: str) -> list[float]:
    """Read straight from payments' table, as the oracle for the report's percentiles."""
    conn = await asyncpg.connect(payments_database_url)
    try:
        rows = await conn.fetch("SELECT extract(epoch FROM created_at - submitted_at)::float8 AS s FROM payments")
    finally:
        await conn.close()
    return [row["s"] for row in rows]
