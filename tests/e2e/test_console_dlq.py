"""`guichet dlq` on stacks of their own: list, show (masked, or unmasked and audited), replay once, refuse a second
action.

Reading masked is the SRE's (the broker and the owners' databases); reading personal data unmasked is a person's,
through the back-office, which records who looked; replaying and discarding are decisions taken through
the back-office beside the stack with personal tokens: a replay waits for a second supervisor, the owning service
applies the command and answers with an outcome (applied, or refused when the dead letter was already acted on).

Two kinds of dead letter. A submission whose claim_id is unusable: intake records its event_id and dead-letters
it, so a replay travels once and intake's inbox ignores it (the effect happens once however often it travels).
And an approval for a programme payments was not yet deployed with: the handler fails, nothing is recorded, the
record is dead-lettered; once payments knows the programme, the replay is paid, once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from guichet_common.contracts import EXAMPLES, ClaimDecidedV1
from guichet_console import dlq_ops
from guichet_console.connect import current_stack
from guichet_console.status_collect import collect
from guichet_console.status_model import as_json

pytestmark = pytest.mark.e2e

EMAIL, IBAN, NAME = "jeanne.dlq@example.fr", "FR7630006000011234567890189", "Jeanne Dlq"


def submission_without_usable_claim_id() -> dict:
    event = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text(encoding="utf-8"))
    event["event_id"] = str(uuid.uuid4())
    event["claim"]["claim_id"] = "x"  # too short to be a claim_id: no status can be published for it
    event["claim"]["contact"].update(email=EMAIL, full_name=NAME)
    event["claim"]["bank_account"].update(iban=IBAN, holder_name=NAME)
    return event


DEAD_LETTER = "SELECT 1 FROM dead_letters WHERE id = $1"
VIEWED_BY = "SELECT actor FROM audit_trail WHERE action = 'personal_data_viewed' AND target = $1"


def replay_with_four_eyes(backoffice, env: dict[str, str], dead_id: str, reason: str) -> dict:
    """super-one asks for the replay, which waits; super-two seconds it, and its command leaves."""
    asked = backoffice.decide(env, "super-one", "dlq", "replay", dead_id, "--reason", reason)
    assert (asked["state"], asked["command_id"]) == ("pending", None), asked
    seconded = backoffice.decide(env, "super-two", "decisions", "second", asked["id"])
    assert (seconded["state"], seconded["seconded_by"]) == ("complete", "super-two"), seconded
    return seconded


async def wait_for(condition, what: str, timeout_s: float = 60.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := await condition():
            return result
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_dead_letter_is_listed_masked_replayed_once_and_refused_twice(
    infra, probe, run_id, tmp_path, private_stack, backoffice_for
) -> None:
    async with private_stack(f"dq{run_id}", tmp_path) as stack, backoffice_for(stack, f"dq{run_id}bo") as backoffice:
        console_stack = current_stack(stack.env)
        submitted = stack.topic("claims.submitted.v1")
        await probe.publish(
            submitted, [(b"642515712", json.dumps(submission_without_usable_claim_id()).encode()), (b"k", b"\xff")]
        )

        async def two_dead_letters():
            listed = await dlq_ops.list_dead_letters(console_stack)
            return listed if len(listed) == 2 else None

        await wait_for(two_dead_letters, "two dead letters")
        listed = stack.console("dlq", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        rows = {row["reason"].split(" ")[0]: row for row in json.loads(listed.stdout)}
        schema, binary = rows["SCHEMA_INVALID"], rows["value"]
        assert schema["id"].startswith("claims.submitted.v1.dlq:")
        assert schema["original"].startswith("claims.submitted.v1:")
        assert (schema["state"], schema["attempts"]) == ("waiting", 1)

        shown = stack.console("dlq", "show", schema["id"], "--json")
        assert shown.returncode == 0, shown.stderr
        assert EMAIL not in shown.stdout and IBAN not in shown.stdout and NAME not in shown.stdout
        claim = json.loads(shown.stdout)["payload"]["claim"]
        assert claim["contact"]["email"] == "***" and claim["bank_account"]["holder_name"] == "***"

        for row in (schema, binary):
            await backoffice.until_projected(DEAD_LETTER, stack.topic_prefix + row["id"])
        # Personal data is a person's read, through the back-office, which records who looked.
        unmasked = backoffice.console(stack.env, "super-one", "dlq", "show", schema["id"], "--json", "--unmasked")
        assert unmasked.returncode == 0, unmasked.stderr
        assert EMAIL in unmasked.stdout and IBAN in unmasked.stdout
        viewer = await backoffice.until_projected(VIEWED_BY, f"dead_letter:{stack.topic_prefix}{schema['id']}")
        assert viewer == "super-one"
        not_hers = backoffice.console(stack.env, "case-worker", "dlq", "show", schema["id"], "--unmasked")
        assert not_hers.returncode == 1 and EMAIL not in not_hers.stdout + not_hers.stderr
        caseworker = backoffice.console(stack.env, "case-worker", "dlq", "replay", schema["id"], "--reason", "x")
        assert caseworker.returncode == 1 and "refused (not allowed)" in caseworker.stderr  # supervisors only
        asked = backoffice.console(stack.env, "super-one", "dlq", "replay", schema["id"], "--reason", "fixed")
        assert asked.returncode == 0 and "waiting for a second person" in asked.stdout, asked.stderr
        (pending,) = backoffice.decide(stack.env, "super-one", "decisions", "list")
        own = backoffice.console(stack.env, "super-one", "decisions", "second", pending["id"])
        assert own.returncode == 1 and "refused (not allowed)" in own.stderr  # nobody seconds their own decision
        seconded = backoffice.decide(stack.env, "super-two", "decisions", "second", pending["id"])
        assert (seconded["state"], seconded["requested_by"]) == ("complete", "super-one")
        applied = await backoffice.outcome(probe, stack, seconded["command_id"])
        assert (applied["service"], applied["outcome"]) == ("intake", "applied"), applied

        # The owner refuses a second action on the same dead letter, and says so in its outcome.
        again = replay_with_four_eyes(backoffice, stack.env, schema["id"], "once more")
        refused = await backoffice.outcome(probe, stack, again["command_id"])
        assert refused["outcome"] == "refused" and "already replayed by super-one" in refused["detail"], refused
        late = backoffice.decide(stack.env, "super-two", "dlq", "discard", schema["id"], "--reason", "late")
        late_outcome = await backoffice.outcome(probe, stack, late["command_id"])
        assert late_outcome["outcome"] == "refused" and "already replayed" in late_outcome["detail"]

        def replays(records) -> list:
            return [r for r in records if dict(r.headers).get("replay.of", b"").decode().endswith(schema["id"])]

        # To the replay topic, which intake may write and consumes like claims.submitted.v1 (under the Kafka
        # grants it may only read claims.submitted.v1 itself): nothing is republished on the portals' topic.
        replay_topic = stack.topic("claims.submitted.v1.replay")
        await probe.read_until(replay_topic, lambda rs: len(replays(rs)) >= 1)

        async def intake_caught_up():
            # Offsets are committed after the transaction that writes the outbox: lag 0 and an empty outbox
            # mean whatever intake made of the replay is on the broker.
            figures = as_json(await collect(console_stack))
            consumed = figures["topics"]["claims.submitted.v1"]["lag"] == 0
            return figures if consumed and figures["stages"]["intake"]["outbox_backlog"] == 0 else None

        figures = await wait_for(intake_caught_up, "intake to consume the replay")
        republished = replays(await probe.read_until(replay_topic, lambda rs: False, timeout_s=3))
        assert len(republished) == 1
        assert not replays(await probe.read_until(submitted, lambda rs: False, timeout_s=1))
        assert not any(name.startswith("dlq.") for name, _ in republished[0].headers)
        # Intake saw the replayed event before (its inbox): no second dead letter, no claim, no refusal.
        assert figures["stages"]["intake"]["received"] == 0
        assert len(await dlq_ops.list_dead_letters(console_stack)) == 2

        discarded = backoffice.decide(stack.env, "super-two", "dlq", "discard", binary["id"], "--reason", "noise")
        assert discarded["state"] == "complete"  # a discard needs one person
        assert (await backoffice.outcome(probe, stack, discarded["command_id"]))["outcome"] == "applied"
        oops = backoffice.decide(stack.env, "super-one", "dlq", "replay", binary["id"], "--reason", "oops")
        withdrawn = backoffice.decide(stack.env, "super-one", "decisions", "withdraw", oops["id"])
        assert (withdrawn["state"], withdrawn["command_id"]) == ("withdrawn", None)

        states = {
            row["id"]: (row["state"], row["operator"])
            for row in json.loads(stack.console("dlq", "list", "--json").stdout)
        }
        assert states == {schema["id"]: ("replayed", "super-one"), binary["id"]: ("discarded", "super-two")}
        status = json.loads(stack.console("status", "--json").stdout)
        assert status["topics"]["claims.submitted.v1"]["dead_letters"] == {
            "total": 2,
            "replayed": 1,
            "discarded": 1,
            "waiting": 0,
        }


def restart_payments(stack, env: dict[str, str], log: Path) -> None:
    """Payments again, as another deployment would run it (the stack stops it at the end like the others)."""
    old = stack.processes["payments"]
    old.terminate()
    old.wait(timeout=30)
    with log.open("ab") as out:
        stack.processes["payments"] = subprocess.Popen(
            [sys.executable, "-m", "guichet_payments"], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def approval(programme: str) -> ClaimDecidedV1:
    now = dt.datetime.now(dt.UTC)
    return ClaimDecidedV1(
        event_id=uuid.uuid4(),
        occurred_at=now,
        correlation_id=uuid.uuid4(),
        claim_id="PNR-DLQ-" + uuid.uuid4().hex[:10],
        programme=programme,
        siren="642515712",
        decision="approved",
        rule_version="2021-01-28",
        grant_amount_cents=50_000,
        submitted_at=now,
        beneficiary_name=NAME,
        iban=IBAN,
    )


async def test_an_approval_dead_lettered_by_payments_is_paid_once_replayed_after_the_fix(
    infra, probe, run_id, tmp_path, private_stack, backoffice_for
) -> None:
    programmes = Path(__file__).resolve().parents[2] / "programmes"
    without_the_new_one = tmp_path / "programmes"
    without_the_new_one.mkdir()
    shutil.copy(programmes / "cheque-france-num-2021.toml", without_the_new_one)
    (tmp_path / "stack").mkdir()
    async with (
        private_stack(f"dr{run_id}", tmp_path / "stack") as stack,
        backoffice_for(stack, f"dr{run_id}bo") as backoffice,
    ):
        console_stack = current_stack(stack.env)
        old_payments = {**stack.env, "GUICHET_PROGRAMMES_DIR": str(without_the_new_one)}
        restart_payments(stack, old_payments, tmp_path / "payments-before.log")
        decision = approval("pass-numerique-region-2021")
        decisions = stack.topic("eligibility.decisions.v1")
        await probe.publish(decisions, [(decision.siren.encode(), decision.model_dump_json().encode())])

        async def dead_lettered():
            return await dlq_ops.list_dead_letters(console_stack, "eligibility.decisions.v1")

        (dead,) = await wait_for(dead_lettered, "payments to dead-letter the approval")
        assert dead.dead.reason.startswith("handler error") and "pass-numerique-region-2021" in dead.dead.reason

        restart_payments(stack, stack.env, tmp_path / "payments-after.log")
        dead_id = (
            dead.dead.id.topic.removeprefix(stack.topic_prefix) + f":{dead.dead.id.partition}:{dead.dead.id.offset}"
        )
        await backoffice.until_projected(DEAD_LETTER, str(dead.dead.id))
        first = replay_with_four_eyes(backoffice, stack.env, dead_id, "programme deployed to payments")
        assert (await backoffice.outcome(probe, stack, first["command_id"]))["outcome"] == "applied"
        second = replay_with_four_eyes(backoffice, stack.env, dead_id, "twice")
        assert (await backoffice.outcome(probe, stack, second["command_id"]))["outcome"] == "refused"

        def payments_of_claim(records) -> list:
            return [r for r in records if json.loads(r.value)["claim_id"] == decision.claim_id]

        issued = stack.topic("payments.issued.v1")
        await probe.read_until(issued, lambda rs: len(payments_of_claim(rs)) >= 1)

        async def settled():
            figures = as_json(await collect(console_stack))
            quiet = figures["topics"]["eligibility.decisions.v1"]["lag"] == 0
            return figures if quiet and figures["stages"]["payments"]["outbox_backlog"] == 0 else None

        figures = await wait_for(settled, "payments to settle")
        assert len(payments_of_claim(await probe.read_until(issued, lambda rs: False, timeout_s=3))) == 1
        assert figures["stages"]["payments"]["received"] == 1
        assert figures["budgets"]["pass-numerique-region-2021"]["reserved_cents"] == 50_000
        assert figures["topics"]["eligibility.decisions.v1"]["dead_letters"] == {
            "total": 1,
            "replayed": 1,
            "discarded": 0,
            "waiting": 0,
        }


async def test_dlq_list_and_show_print_a_hostile_record_escaped_never_obeyed(stack, probe, backoffice) -> None:
    """A record nobody here wrote: ESC sequences, a right-to-left override, a line separator, CR/LF, a NUL and rich
    markup in its headers and payload. The console shows them written out and still masks the e-mail address."""
    from aiokafka import AIOKafkaProducer

    marker = uuid.uuid4().hex
    hostile = f"[/bold]\x1b[2J\x1b[31m{marker}\u202eexe.txt\u2028forged\r\nline"
    producer = AIOKafkaProducer(bootstrap_servers=probe.bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(
            stack.topic("claims.submitted.v1"),
            key=b"642515712",
            value=f"not json {hostile} {EMAIL}".encode(),
            headers=[("x-hostile", hostile.encode() + b"\x00\xff"), (f"x-{hostile}", b"v")],
        )
    finally:
        await producer.stop()
    console_stack = current_stack(stack.env)

    async def ours():
        listed = await dlq_ops.list_dead_letters(console_stack, "claims.submitted.v1")
        return next((item for item in listed if marker.encode() in (item.dead.value or b"")), None)

    item = await wait_for(ours, "the hostile record dead-lettered")
    dead_id = item.dead.id.topic.removeprefix(stack.topic_prefix) + f":{item.dead.id.partition}:{item.dead.id.offset}"
    raw = ("\x1b", "\u202e", "\u2028", "\r", "\x00")

    listed = stack.console("dlq", "list", "--topic", "claims.submitted.v1")
    assert listed.returncode == 0, listed.stderr
    shown = stack.console("dlq", "show", dead_id)
    assert shown.returncode == 0, shown.stderr
    assert not [char for char in raw if char in shown.stdout], repr(shown.stdout)
    assert f"[/bold]\\x1b[2J\\x1b[31m{marker}\\u202eexe.txt\\u2028forged\\x0d\\x0aline" in shown.stdout
    assert "\\x00\\xff" in shown.stdout and EMAIL not in shown.stdout
    await backoffice.until_projected(DEAD_LETTER, stack.topic_prefix + dead_id)
    as_json_ = backoffice.console(stack.env, "super-one", "dlq", "show", dead_id, "--json", "--unmasked")
    assert as_json_.returncode == 0, as_json_.stderr
    assert not [char for char in raw if char in as_json_.stdout], repr(as_json_.stdout)
    assert hostile in json.loads(as_json_.stdout)["payload"]
