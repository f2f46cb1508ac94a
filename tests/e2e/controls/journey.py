"""The steps of a control-and-recovery journey on a running stack, and what to compare after it."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import httpx
from guichet_chaos.checker import mail_kinds

from guichet_common.contracts import ClaimDecidedV1
from guichet_simulator.identifiers import random_iban, random_siren

ROOT = Path(__file__).resolve().parents[3]
PROGRAMME = "cheque-france-num-2021"
GRANT = 50_000
PAID = 6  # the envelope holds exactly these grants
ENVELOPE = PAID * GRANT
SMALL_GRANT = 25_000  # the waitlisted claims': one fits in a recovered 300 €, two do not
SAMPLING_PERCENT = 34  # of the 4 claims no rule flags: ceil(1.36) = 2 drawn from the seed


def small_envelope_programmes(folder: Path) -> Path:
    """The programme file with an envelope of PAID grants and a sampling rate that draws some but not all."""
    from guichet_programme import load_programme

    folder.mkdir(parents=True, exist_ok=True)
    source = (ROOT / "programmes" / f"{PROGRAMME}.toml").read_text(encoding="utf-8")
    small = source.replace("total_cents = 6_000_000_000", f"total_cents = {ENVELOPE}").replace(
        "sampling_percent = 5 ", f"sampling_percent = {SAMPLING_PERCENT} "
    )
    path = folder / f"{PROGRAMME}.toml"
    path.write_text(small, encoding="utf-8")
    loaded = load_programme(path)
    assert loaded.budget.total_cents == ENVELOPE and loaded.controls.sampling_percent == SAMPLING_PERCENT
    assert loaded.recovery.returns_to_envelope
    return folder


def approval(tag: str, rng: random.Random, *, grant: int = GRANT, reviewed: bool = False) -> ClaimDecidedV1:
    """What eligibility publishes for an approved claim; `reviewed`: approved by a person after a review, which the
    programme's CONTROL_RISK_REVIEWED rule flags."""
    now = dt.datetime.now(dt.UTC)
    iban, bic = random_iban(rng)
    return ClaimDecidedV1(
        event_id=uuid.uuid4(),
        occurred_at=now,
        correlation_id=uuid.uuid4(),
        claim_id=f"CFN-CTRL-{tag}-{uuid.uuid4().hex[:8].upper()}",
        programme=PROGRAMME,
        siren=random_siren(rng),
        decision="approved",
        rule_version="2021-01-28",
        grant_amount_cents=grant,
        submitted_at=now,
        beneficiary_name=f"BOUTIQUE {tag}",
        iban=iban,
        bic=bic,
        reviewed_reasons=["REGISTRY_NO_RECORD"] if reviewed else [],
        approved_by_person=reviewed,
    )


async def publish_approvals(stack, probe, approvals: list[ClaimDecidedV1]) -> None:
    await probe.publish(
        stack.topic("eligibility.decisions.v1"), [(a.siren.encode(), a.model_dump_json().encode()) for a in approvals]
    )


Story = list[tuple[str, list[str], dict]]


class Statuses:
    """claims.status.v1 read from its beginning: each claim's statuses, once per event_id."""

    def __init__(self, stack, probe) -> None:
        self.stack, self.probe = stack, probe

    async def read(self, claim_ids, done=lambda stories: False, timeout_s: float = 60.0) -> dict[str, Story]:
        def stories(records) -> dict[str, Story]:
            told: dict[str, Story] = {c: [] for c in claim_ids}
            seen: set[str] = set()
            for record in records:
                value = json.loads(record.value)
                if value["claim_id"] in told and value["event_id"] not in seen:
                    seen.add(value["event_id"])
                    told[value["claim_id"]].append((value["status"], value["reasons"], value))
            return told

        topic = self.stack.topic("claims.status.v1")
        return stories(await self.probe.read_until(topic, lambda rs: done(stories(rs)), timeout_s=timeout_s))

    async def until(self, expected: dict[str, str], timeout_s: float = 90.0) -> dict[str, Story]:
        """Until each claim has told the status expected of it (at least once); asserts it."""
        told = await self.read(
            expected, lambda s: all(any(st == want for st, _, _ in s[c]) for c, want in expected.items()), timeout_s
        )
        missing = {
            c: [st for st, _, _ in told[c]] for c, want in expected.items() if want not in [s for s, _, _ in told[c]]
        }
        assert not missing, f"never told: {expected}; told: {missing}"
        return told


def of_status(story: Story, status: str) -> list[dict]:
    return [event for st, _, event in story if st == status]


async def topic_values(stack, probe, name: str, done=lambda values: False, timeout_s: float = 5.0) -> list[dict]:
    records = await probe.read_until(stack.topic(name), lambda rs: done([json.loads(r.value) for r in rs]), timeout_s)
    return [json.loads(r.value) for r in records]


async def order_steps(stack, probe, claim_id: str, done, timeout_s: float = 60.0) -> list[dict]:
    """The recovery order's steps on payments.recovery-orders.v1 for `claim_id`, once `done(steps)`."""

    def ours(values: list[dict]) -> list[dict]:
        return [v for v in values if v["claim_id"] == claim_id]

    values = await topic_values(stack, probe, "payments.recovery-orders.v1", lambda vs: done(ours(vs)), timeout_s)
    steps = ours(values)
    assert done(steps), f"the order of {claim_id} never got there: {[(s['step'], s.get('reminder')) for s in steps]}"
    return steps


async def every_step(stack, probe, claim_id: str, read_s: float = 3.0) -> list[tuple[str, int | None]]:
    """Every step of the claim's order published so far (read for `read_s`), with its reminder number."""
    values = await topic_values(stack, probe, "payments.recovery-orders.v1", timeout_s=read_s)
    return [(v["step"], v.get("reminder")) for v in values if v["claim_id"] == claim_id]


class ControlsApi:
    """The back-office's controls API with a person's token, as the back-office pages and the console use it."""

    def __init__(self, backoffice) -> None:
        self.backoffice = backoffice

    async def post(self, login: str, path: str, body: dict) -> dict:
        headers = {"Authorization": f"Bearer {self.backoffice.tokens[login]}"}
        async with httpx.AsyncClient(base_url=self.backoffice.url, timeout=30.0) as client:
            answer = await client.post(f"/api/v1/{path}", json=body, headers=headers)
        assert answer.status_code == 200, f"POST {path} as {login}: {answer.status_code} {answer.text}"
        return answer.json()

    async def open_campaign(self, login: str, seed: int, paid_before: dt.datetime) -> dict:
        body = {"programme": PROGRAMME, "seed": seed, "paid_before": paid_before.isoformat(), "reason": "Campagne e2e"}
        return await self.post(login, "controls/campaigns", body)

    async def outcome(self, login: str, claim_id: str, outcome: str, **fields: object) -> dict:
        body = {"outcome": outcome, "reason": f"Contrôle e2e: {outcome}", **fields}
        return await self.post(login, f"controls/{claim_id}/outcome", body)

    async def second(self, login: str, decision_id: object) -> dict:
        return await self.post(login, f"decisions/{decision_id}/second", {"reason": "Vu, d'accord"})


async def until_mails(maildir: Path, wanted, timeout_s: float = 60.0) -> Counter[tuple[str, str]]:
    deadline = time.monotonic() + timeout_s
    while not wanted(found := mail_kinds(maildir)) and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    return found


PAYMENTS_TABLES = ("control_campaigns", "controls", "recovery_orders", "repayments", "budgets", "waitlist", "payments")
BACKOFFICE_TABLES = ("controls", "control_events", "recovery_orders", "recovery_steps")  # its projections


async def table_rows(database_url: str, tables: tuple[str, ...]) -> dict[str, list[str]]:
    """Every row of the tables a redelivery could touch twice, as text, in a stable order."""
    connection = await asyncpg.connect(database_url)
    try:
        state = {}
        for table in tables:
            if await connection.fetchval("SELECT to_regclass($1)", table) is None:
                continue
            rows = await connection.fetch(f"SELECT to_jsonb(t)::text AS row FROM {table} t")
            state[table] = sorted(r["row"] for r in rows)
        return state
    finally:
        await connection.close()


async def redeliver(stack, probe, names: tuple[str, ...]) -> int:
    """Publish every record of `names` again, key, value and headers as they were: the broker or a consumer
    restarting after a crash delivering the whole run a second time."""
    from aiokafka import AIOKafkaProducer

    count = 0
    producer = AIOKafkaProducer(bootstrap_servers=probe.bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for name in names:
            records = await probe.read_until(stack.topic(name), lambda rs: False, timeout_s=4.0)
            for record in records:
                await producer.send_and_wait(
                    stack.topic(name), value=record.value, key=record.key, headers=list(record.headers or [])
                )
                count += 1
    finally:
        await producer.stop()
    return count


def deliver_file(stack, name: str, content: bytes) -> Path:
    """The bank channel dropping a file into payments' inbound folder (written aside, then renamed in)."""
    inbound = Path(stack.env["PAYMENTS_INBOUND_DIR"])
    inbound.mkdir(parents=True, exist_ok=True)
    partial = inbound / f".{name}"
    partial.write_bytes(content)
    partial.rename(inbound / name)
    return inbound / "imported" / name


def import_file(stack, path: Path) -> tuple[int, dict, str]:
    """`guichet finance import PATH --json`: its exit code, payments' verdict on the file, and all it said."""
    done = stack.console("finance", "import", str(path), "--json")
    said = f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    try:
        [verdict] = json.loads(done.stdout)
    except ValueError:
        verdict = {}
    return done.returncode, verdict, said


def start_finance(env: dict[str, str], log: Path) -> subprocess.Popen:
    """The bank's side on Kafka: settles every payment it sees sent (none returned)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "guichet_finance", "--kafka", "--return-every", "1000000000"],
            env=env,
            stdout=out,
            stderr=out,
        )
