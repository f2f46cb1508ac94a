"""`guichet set-aside list|release|cancel` and `guichet status --json`, run as an operator runs them (a process of
their own) on the services' real databases, after the SEPA batcher set aside attempts it could not write."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from guichet_common.contracts import ClaimDecidedV1
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.set_aside import set_aside
from guichet_common.settings import project_root
from guichet_common.unit_of_work import open_unit_of_work
from guichet_payments.batching import Batcher
from guichet_payments.service import PaymentsService
from guichet_payments.unit_of_work import PaymentsUnitOfWork
from guichet_programme import load_programme

pytestmark = pytest.mark.e2e
PROGRAMME = load_programme(project_root() / "programmes" / "cheque-france-num-2021.toml")
T0 = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)
HOSTILE_ID = "42\x1b[2J[/bold]\u202e"  # a terminal escape, rich markup and a bidi override


def approval(n: int, name: str) -> InboundRecord:
    event = ClaimDecidedV1(
        event_id=uuid.uuid4(),
        occurred_at=T0,
        correlation_id=uuid.uuid4(),
        claim_id=f"CFN-CONSOLE-{n:04d}",
        programme=PROGRAMME.id,
        siren=f"{500000000 + n}",
        decision="approved",
        rule_version="2021-01-28",
        grant_amount_cents=50_000,
        submitted_at=T0,
        beneficiary_name=name,
        iban="FR7693233145437431125912957",
    )
    return InboundRecord("eligibility.decisions.v1", 0, n, event.siren.encode(), event.model_dump_json().encode())


@pytest.fixture
async def blocked_attempts(
    payments_pool: asyncpg.Pool, intake_pool, eligibility_pool, notifications_pool, tmp_path: Path
) -> list[str]:
    """Two attempts blocked by the batcher among a normal one, and a hostile item id held by notifications."""
    payments = PaymentsService(programmes={PROGRAMME.id: PROGRAMME}, clock=lambda: T0)
    batcher = Batcher({PROGRAMME.id: PROGRAMME}, tmp_path, max_size=10, clock=lambda: T0 + dt.timedelta(minutes=1))
    records = [approval(1, "@#%*"), approval(2, "BOUTIQUE"), approval(3, "#*@ %")]
    async with open_unit_of_work(payments_pool, PaymentsUnitOfWork) as uow:
        await payments.open_envelopes(uow)
        await Subscription(payments.apply_approvals, contract(ClaimDecidedV1)).apply(uow, records)  # commits
    async with open_unit_of_work(payments_pool, PaymentsUnitOfWork) as uow:
        assert await batcher.close_due_batches(uow) == 1
        await uow.commit()
    async with notifications_pool.acquire() as conn:
        await set_aside(conn, "email", HOSTILE_ID, "header refused:\r\nBcc: [bold]x[/bold]")
    rows = await payments_pool.fetch(
        "SELECT payment_id || ':' || attempt AS id FROM payment_attempts WHERE status = 'blocked' ORDER BY payment_id"
    )
    return [row["id"] for row in rows]


@pytest.fixture
def console_env(database_urls: dict[str, str], kafka_bootstrap: str) -> dict[str, str]:
    """The console's environment: this run's databases and broker (the broker only for `status`)."""
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "GUICHET_TOPIC_PREFIX": f"setaside{uuid.uuid4().hex[:6]}.",
        **{f"{name.upper()}_DATABASE_URL": url for name, url in database_urls.items()},
    }


def guichet(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "guichet_console", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def test_operators_list_release_and_cancel_set_aside_items_once_each(
    blocked_attempts: list[str], console_env: dict[str, str], payments_pool: asyncpg.Pool
) -> None:
    first, second = blocked_attempts
    listed = guichet(console_env, "set-aside", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)["items"]
    assert sorted((i["service"], i["kind"], i["item_id"]) for i in items) == sorted(
        [
            ("payments", "payment_attempt", first),
            ("payments", "payment_attempt", second),
            ("notifications", "email", "42\\x1b[2J[/bold]\\u202e"),
        ]
    )
    table = guichet(console_env, "set-aside", "list", "--service", "notifications")
    assert table.returncode == 0, table.stderr
    assert "\x1b" not in table.stdout and "\u202e" not in table.stdout and "\\x1b" in table.stdout
    only_payments = guichet(console_env, "set-aside", "list", "--kind", "payment_attempt", "--json")
    assert {i["kind"] for i in json.loads(only_payments.stdout)["items"]} == {"payment_attempt"}

    for operator, reason in (("", "checked"), ("alice", "   ")):
        refused = guichet(
            console_env, "set-aside", "release", "payment_attempt", first, "--operator", operator, "--reason", reason
        )
        assert refused.returncode == 1 and "refused" in refused.stderr
    released = guichet(
        console_env, "set-aside", "release", "payment_attempt", first, "--operator", "alice", "--reason", "checked"
    )
    assert released.returncode == 0, released.stderr
    again = guichet(
        console_env, "set-aside", "cancel", "payment_attempt", first, "--operator", "bob", "--reason", "twice"
    )
    assert again.returncode == 1 and "not held" in again.stderr
    cancelled = guichet(
        console_env, "set-aside", "cancel", "payment_attempt", second, "--operator", "bob", "--reason", "no name"
    )
    assert cancelled.returncode == 0, cancelled.stderr

    states = dict(
        await payments_pool.fetch(
            "SELECT payment_id || ':' || attempt, status FROM payment_attempts WHERE status <> 'sent'"
        )
    )
    assert states == {first: "scheduled", second: "cancelled"}
    decided = await payments_pool.fetch(
        "SELECT item_id, state, decided_by, decision_reason FROM set_aside_items ORDER BY decided_by"
    )
    assert [tuple(r) for r in decided] == [
        (first, "released", "alice", "checked"),
        (second, "cancelled", "bob", "no name"),
    ]

    status = guichet(console_env, "status", "--json")
    assert status.returncode == 0, status.stderr
    figures = json.loads(status.stdout)
    assert figures["set_aside"]["payments"] == {} and figures["set_aside"]["notifications"] == {"email": 1}
    assert figures["set_aside_total"] == 1
