"""Each running service answers /healthz, /readyz and /metrics; the metrics move with the traffic, and every
metric the Grafana dashboard and the Prometheus alerts use is one the services really serve."""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from guichet_common.contracts import EXAMPLES
from guichet_simulator.identifiers import random_siren, random_siret

pytestmark = pytest.mark.e2e

SERVICES = ("intake", "eligibility", "payments", "notifications", "gateway", "backoffice")
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except urllib.error.URLError as error:  # not listening yet: the server starts once start-up is done
        return 0, str(error.reason)


async def until(condition, timeout_s: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.5)


def sample(metrics: str, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels`."""
    total = 0.0
    for line in metrics.splitlines():
        match = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
        if match and all(f'{key}="{value}"' in match.group(1) for key, value in labels.items()):
            total += float(match.group(2))
    return total


def metric_names_used_by_operators() -> set[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "guichet-dashboard.json").read_text(encoding="utf-8"))
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    alerts = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text(encoding="utf-8"))
    expressions += [rule["expr"] for group in alerts["groups"] for rule in group["rules"]]
    return {name for expression in expressions for name in re.findall(r"\b(guichet_[a-z_]+)", expression)}


async def test_health_readiness_and_metrics_follow_the_traffic(stack, probe) -> None:
    async def all_alive() -> bool:
        answers = [await asyncio.to_thread(fetch, stack.http(s) + "/healthz") for s in SERVICES]
        return all(code == 200 for code, _ in answers)

    await until(all_alive, what="every service alive")

    async def all_ready() -> bool:
        answers = [await asyncio.to_thread(fetch, stack.http(s) + "/readyz") for s in SERVICES]
        return all(code == 200 for code, _ in answers)

    await until(all_ready, what="every service ready")
    _, body = await asyncio.to_thread(fetch, stack.http("payments") + "/readyz")
    assert json.loads(body) == {"service": "payments", "database": "ok", "broker": "ok"}

    # A company and invoices of its own: the contract example's would make later tests on this stack ALREADY_AIDED.
    event = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text(encoding="utf-8"))
    event["event_id"] = str(uuid.uuid4())
    claim = event["claim"]
    claim["claim_id"] = "CFN-METRICS-" + uuid.uuid4().hex[:10]
    siren = random_siren(random.Random())
    claim["applicant"].update(siren=siren, siret=random_siret(random.Random(), siren))
    for invoice in claim["invoices"]:
        invoice["invoice_number"] += "-" + claim["claim_id"]
    submitted = stack.topic("claims.submitted.v1")
    await probe.publish(submitted, [(event["claim"]["applicant"]["siren"].encode(), json.dumps(event).encode())])

    async def intake_counted_it() -> bool:
        _, metrics = await asyncio.to_thread(fetch, stack.http("intake") + "/metrics")
        return (
            sample(metrics, "guichet_received_messages_total", handler=submitted) >= 1
            and sample(metrics, "guichet_claims", stage="intake") >= 1
            and sample(metrics, "guichet_outbox_published_messages_total", topic=stack.topic("claims.status.v1")) >= 1
        )

    await until(intake_counted_it, what="intake's metrics to count the claim")
    _, payments = await asyncio.to_thread(fetch, stack.http("payments") + "/metrics")
    total = sample(payments, "guichet_budget_cents", programme="cheque-france-num-2021", kind="total")
    assert total == 6_000_000_000
    decisions = stack.topic("eligibility.decisions.v1")
    lag_lines = [line for line in payments.splitlines() if line.startswith("guichet_consumer_lag_messages{")]
    assert {re.search(r'partition="(\d+)"', line).group(1) for line in lag_lines if decisions in line} == {
        "0",
        "1",
        "2",
    }, "one lag gauge per partition of the topic payments consumes"

    served = "\n".join([(await asyncio.to_thread(fetch, stack.http(s) + "/metrics"))[1] for s in SERVICES])
    # A labelled metric with no sample yet (no dead letter, say) is still declared by its # TYPE line.
    declared = set(re.findall(r"^# TYPE (\S+)", served, re.M))
    missing = [
        name
        for name in sorted(metric_names_used_by_operators())
        if not {name, re.sub(r"_(total|bucket|sum|count)$", "", name)} & declared
    ]
    assert not missing, f"the dashboard or the alerts use metrics no service serves: {missing}"


async def test_asyncapi_document_is_served(stack) -> None:
    status, body = await asyncio.to_thread(fetch, stack.http("eligibility") + "/docs/asyncapi.json")
    assert status == 200
    channels = {channel["address"] for channel in json.loads(body)["channels"].values()}
    assert stack.topic("intake.claims-registered.v1") in channels
