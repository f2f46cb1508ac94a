"""`guichet status --json` on a stack of its own: the figures add up to exactly what the portal published."""

from __future__ import annotations

import asyncio
import copy
import json
import time
import uuid
from collections import Counter

import pytest

from guichet_console.connect import current_stack
from guichet_console.status_collect import collect
from guichet_console.status_model import as_json
from guichet_simulator.generator import generate_claims
from guichet_simulator.publisher import publish_simulation

pytestmark = pytest.mark.e2e

SIMULATED = 24


def refused_variants(template: dict) -> list[dict]:
    """Two submissions intake refuses (and registers nothing for): one breaks the schema, one names an unknown
    programme. Both keep a valid claim_id and e-mail, so each is told why."""
    broken, unknown = copy.deepcopy(template), copy.deepcopy(template)
    for event, tag in ((broken, "SCHEMA"), (unknown, "PROG")):
        event["event_id"] = str(uuid.uuid4())
        event["claim"]["claim_id"] = f"CFN-ST-{tag}-{uuid.uuid4().hex[:8]}"
    broken["claim"]["applicant"]["headcount"] = "three"
    unknown["claim"]["programme"] = "no-such-programme-2099"
    return [broken, unknown]


def settled(figures: dict, published: int) -> bool:
    stages = figures["stages"]
    return (
        all(stage["reachable"] and stage["outbox_backlog"] == 0 for stage in stages.values())
        and all(topic["lag"] == 0 for topic in figures["topics"].values())
        and stages["intake"]["received"] == published
        and stages["eligibility"]["states"]["awaiting_registry"] == 0
        and stages["payments"]["pending"] == 0
        and stages["notifications"]["pending"] == 0
    )


async def wait_until_settled(stack_env: dict[str, str], published: int, timeout_s: float = 180.0) -> dict:
    """The figures once the pipeline is at rest: settled, and the same on two reads a second apart."""
    console_stack = current_stack(stack_env)
    deadline = time.monotonic() + timeout_s
    previous = None
    while time.monotonic() < deadline:
        figures = as_json(await collect(console_stack))
        comparable = {key: value for key, value in figures.items() if key != "taken_at"}
        if settled(figures, published) and comparable == previous:
            return figures
        previous = comparable if settled(figures, published) else None
        await asyncio.sleep(1.0)
    raise AssertionError(f"the pipeline did not settle: {json.dumps(figures, indent=2)}")


async def test_status_figures_add_up_to_what_was_published(infra, probe, run_id, tmp_path, private_stack) -> None:
    async with private_stack(f"st{run_id}", tmp_path) as stack:
        claims = generate_claims(SIMULATED, seed=20260101, run_id=f"ST{run_id}", problem_share=0.4)
        await publish_simulation(claims, bootstrap_servers=infra.kafka_bootstrap, prefix=stack.topic_prefix)
        refused = refused_variants(claims[0].event)
        submitted = stack.topic("claims.submitted.v1")
        await probe.publish(
            submitted,
            [
                *((b"642515712", json.dumps(event).encode()) for event in refused),
                (b"642515712", json.dumps(refused[0]).encode()),  # the portal sends one twice: one event still
                (b"642515712", b"{not json"),  # no event at all: a dead letter, not a received claim
            ],
        )
        published = SIMULATED + len(refused)
        await wait_until_settled(stack.env, published)

        shown = stack.console("status", "--json")
        assert shown.returncode == 0, shown.stderr
        figures = json.loads(shown.stdout)
        issued = await probe.read_until(
            stack.topic("payments.issued.v1"), lambda rs: len(rs) >= figures["stages"]["payments"]["received"]
        )

    expected = Counter(claim.expected_status for claim in claims)
    intake, eligibility, payments, notifications = (
        figures["stages"][name] for name in ("intake", "eligibility", "payments", "notifications")
    )
    assert intake["received"] == published
    assert intake["failed"] == len(refused) + expected["refused"]
    assert intake["done"] == eligibility["received"] == published - intake["failed"]
    assert eligibility["states"]["approved"] == expected["paid"] == payments["received"]
    assert eligibility["states"]["rejected"] == expected["rejected"]
    assert eligibility["states"]["under_review"] == expected["under_review"] == eligibility["pending"]
    # No finance in this stack: every payment is sent, none settled or returned.
    assert payments["states"]["sent"] == payments["done"] == payments["received"]
    assert payments["failed"] == 0
    # One e-mail per claim and kind: refusal, rejection, review, payment sent (received/approved mail nobody).
    mailed = intake["failed"] + eligibility["failed"] + eligibility["pending"] + payments["states"]["sent"]
    assert notifications["received"] == notifications["done"] == mailed
    assert figures["emails_in_doubt"] == 0

    reserved = sum(json.loads(record.value)["amount_cents"] for record in issued)
    budgets = figures["budgets"].values()
    assert sum(b["reserved_cents"] for b in budgets) == reserved
    assert all(b["available_cents"] == b["total_cents"] - b["reserved_cents"] and b["paid_cents"] == 0 for b in budgets)

    assert {name: topic["lag"] for name, topic in figures["topics"].items()} == dict.fromkeys(figures["topics"], 0)
    poison = figures["topics"]["claims.submitted.v1"]["dead_letters"]
    assert poison == {"total": 1, "replayed": 0, "discarded": 0, "waiting": 1}
    assert all(stage["outbox_backlog"] == 0 for stage in figures["stages"].values())
