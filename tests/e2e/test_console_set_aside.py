"""`guichet set-aside list|release|cancel` and `guichet status --json`, run as an operator runs them (a process of
their own) on a stack of the test's own, after the SEPA batcher set aside attempts it could not write.

Listing reads the services' databases (the SRE's roles). Releasing and cancelling are decisions taken through the
back-office beside the stack with personal tokens: cancelling is one person's, releasing a blocked payment waits
for a second supervisor; payments applies each command, answers with an outcome and announces the item's state.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid

import asyncpg
import pytest

from guichet_common.contracts import ClaimDecidedV1
from guichet_common.set_aside import set_aside

pytestmark = pytest.mark.e2e
PROGRAMME = "cheque-france-num-2021"
HOSTILE_ID = "42\x1b[2J[/bold]\u202e"  # a terminal escape, rich markup and a bidi override
HELD = (
    "SELECT 1 FROM service_set_aside WHERE service = 'payments' AND kind = 'payment_attempt' AND item_id = $1"
    " AND state = $2"
)


def approval(n: int, name: str) -> ClaimDecidedV1:
    now = dt.datetime.now(dt.UTC)
    return ClaimDecidedV1(
        event_id=uuid.uuid4(),
        occurred_at=now,
        correlation_id=uuid.uuid4(),
        claim_id=f"CFN-CONSOLE-{uuid.uuid4().hex[:8]}-{n}",
        programme=PROGRAMME,
        siren=f"{500000000 + n}",
        decision="approved",
        rule_version="2021-01-28",
        grant_amount_cents=50_000,
        submitted_at=now,
        beneficiary_name=name,
        iban="FR7693233145437431125912957",
    )


async def blocked_attempts(database_url: str, count: int, timeout_s: float = 60.0) -> list[str]:
    """The attempts the running batcher blocked (names no SEPA file can carry), once there are `count`."""
    deadline = time.monotonic() + timeout_s
    connection = await asyncpg.connect(database_url)
    try:
        while time.monotonic() < deadline:
            rows = await connection.fetch(
                "SELECT payment_id || ':' || attempt AS id FROM payment_attempts WHERE status = 'blocked'"
                " ORDER BY payment_id"
            )
            if len(rows) >= count:
                return [row["id"] for row in rows]
            await asyncio.sleep(0.3)
    finally:
        await connection.close()
    raise AssertionError(f"the batcher did not block {count} attempts")


async def test_operators_list_release_and_cancel_set_aside_items_once_each(
    probe, run_id, tmp_path, private_stack, backoffice_for
) -> None:
    async with private_stack(f"sa{run_id}", tmp_path) as stack, backoffice_for(stack, f"sa{run_id}bo") as backoffice:
        decisions = [approval(1, "@#%*"), approval(2, "BOUTIQUE"), approval(3, "#*@ %")]
        await probe.publish(
            stack.topic("eligibility.decisions.v1"),
            [(d.siren.encode(), d.model_dump_json().encode()) for d in decisions],
        )
        first, second = await blocked_attempts(stack.database_urls["payments"], 2)
        notifications = await asyncpg.connect(stack.database_urls["notifications"])
        try:
            await set_aside(notifications, "email", HOSTILE_ID, "header refused:\r\nBcc: [bold]x[/bold]")
        finally:
            await notifications.close()

        listed = stack.console("set-aside", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        items = json.loads(listed.stdout)["items"]
        assert sorted((i["service"], i["kind"], i["item_id"]) for i in items) == sorted(
            [
                ("payments", "payment_attempt", first),
                ("payments", "payment_attempt", second),
                ("notifications", "email", "42\\x1b[2J[/bold]\\u202e"),
            ]
        )
        table = stack.console("set-aside", "list", "--service", "notifications")
        assert table.returncode == 0, table.stderr
        assert "\x1b" not in table.stdout and "\u202e" not in table.stdout and "\\x1b" in table.stdout
        only_payments = stack.console("set-aside", "list", "--kind", "payment_attempt", "--json")
        assert {i["kind"] for i in json.loads(only_payments.stdout)["items"]} == {"payment_attempt"}

        for item in (first, second):
            await backoffice.until_projected(HELD, item, "held")
        blank = ("set-aside", "release", "payment_attempt", first, "--reason", " ")
        refused = backoffice.console(stack.env, "super-one", *blank)
        assert refused.returncode == 1 and "refused" in refused.stderr  # a decision always carries a written reason

        cancel = ("set-aside", "cancel", "payment_attempt", second, "--reason", "no name")
        cancelled = backoffice.decide(stack.env, "super-one", *cancel)
        assert cancelled["state"] == "complete"  # cancelling a blocked payment needs one person
        outcome = await backoffice.outcome(probe, stack, cancelled["command_id"])
        assert (outcome["service"], outcome["outcome"]) == ("payments", "applied"), outcome
        await backoffice.until_projected(HELD, second, "cancelled")
        again = backoffice.console(stack.env, "super-two", *cancel[:4], "--reason", "twice")
        assert again.returncode == 1 and "refused" in again.stderr  # no longer held: nothing to decide

        release = ("set-aside", "release", "payment_attempt", first, "--reason", "checked")
        asked = backoffice.decide(stack.env, "super-one", *release)
        assert asked["state"] == "pending"  # money leaves: a second person
        released = backoffice.decide(stack.env, "super-two", "decisions", "second", asked["id"])
        outcome = await backoffice.outcome(probe, stack, released["command_id"])
        assert outcome["outcome"] == "applied", outcome

        def announced(records) -> list[tuple[str, str | None]]:
            key = f"payments:payment_attempt:{first}".encode()
            return [(v["state"], v.get("decided_by")) for r in records if r.key == key and (v := json.loads(r.value))]

        seen = await probe.read_until(
            stack.topic("operations.set-aside.v1"), lambda rs: ("released", "super-one") in announced(rs)
        )
        assert ("released", "super-one") in announced(seen)

        payments = await asyncpg.connect(stack.database_urls["payments"])
        try:
            assert (
                await payments.fetchval(
                    "SELECT status FROM payment_attempts WHERE payment_id || ':' || attempt = $1", second
                )
                == "cancelled"
            )
            decided = await payments.fetchrow(
                "SELECT state, decided_by, decision_reason FROM set_aside_items WHERE item_id = $1", second
            )
        finally:
            await payments.close()
        assert tuple(decided) == ("cancelled", "super-one", "no name")

        status = stack.console("status", "--json")
        assert status.returncode == 0, status.stderr
        figures = json.loads(status.stdout)
        assert figures["set_aside"]["notifications"] == {"email": 1}
