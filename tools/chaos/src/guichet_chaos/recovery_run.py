"""The control-and-recovery scenario: post-payment controls, recovery orders and repayments while payments and
notifications are killed -9 and restarted.

Claims flow to paid (the finance simulator settles them). A campaign is opened, an outcome recorded for every
selected claim (compliant, or non-compliant with a supervisor's second: an order), and each order repaid by two
credits in two camt.054 files (the first partial), then a camt.053 repeating them all, dropped in payments' inbound
folder. Every decision is published twice, as a back-office redelivering its outbox would. Meanwhile payments and
notifications are killed -9 and restarted, again and again. Then, from the topics, payments' tables and the mail
sink: nothing lost (every selected claim decided, every order settled, every e-mail sent), nothing twice (one order
per claim, one repayment per credit, one status change and one e-mail per kind).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaProducer

from guichet_chaos.bank_credits import Credit, camt053, camt054
from guichet_chaos.checker import Figures, StatusWatch
from guichet_chaos.load import claims_for, publish_claims, publish_registry
from guichet_chaos.recovery_figures import Journey, events_of, measure_journey
from guichet_common.contracts.controls import ControlDecisionV1
from guichet_deploy.scratch import ScratchStack

PROGRAMME = "cheque-france-num-2021"
SAMPLING_PERCENT = 40
MAX_CLAIMS = 60  # controls need paid claims, not many: the scenario stays short whatever --claims says
VICTIMS = ("payments-1", "notifications")


def programmes_folder(workdir: Path, root: Path) -> Path:
    """The shipped programme with a sampling rate that selects a good share of a few dozen paid claims."""
    folder = workdir / "programmes"
    folder.mkdir(parents=True, exist_ok=True)
    source = (root / "programmes" / f"{PROGRAMME}.toml").read_text(encoding="utf-8")
    (folder / f"{PROGRAMME}.toml").write_text(
        source.replace("sampling_percent = 5 ", f"sampling_percent = {SAMPLING_PERCENT} "), encoding="utf-8"
    )
    return folder


@dataclass
class Killer:
    """kill -9 of payments and notifications in turn, each restarted a second later; the next strikes a few seconds
    after the victim is ready again, so that work is done between kills (a service killed while it starts never
    works at all on a loaded machine)."""

    stack: ScratchStack
    kills: Counter = field(default_factory=Counter)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _one_at_a_time: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def run(self, every_s: float = 3.0) -> None:
        turn = 0
        while not await self._stopped_within(every_s):
            await self._kill_and_restart(VICTIMS[turn % len(VICTIMS)])
            turn += 1

    async def strike(self, victim: str, after_s: float = 0.3) -> None:
        """kill -9 of `victim` right after the scenario gave it work: the work is in flight."""
        await asyncio.sleep(after_s)
        await self._kill_and_restart(victim)

    async def _kill_and_restart(self, victim: str) -> None:
        async with self._one_at_a_time:
            self.stack.kill(victim)
            self.kills[victim] += 1
            await asyncio.sleep(1.0)
            self.stack.launch(victim)
            await self.stack.until_ready([victim], timeout_s=120)

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    def stop(self) -> None:
        self._stop.set()


def decision(action: str, **fields: object) -> ControlDecisionV1:
    return ControlDecisionV1(
        event_id=uuid.uuid4(),
        occurred_at=dt.datetime.now(dt.UTC),
        action=action,
        decided_by="chaos-controller",
        reason="Scénario de panne",
        **fields,
    )


async def publish_twice(producer: AIOKafkaProducer, topic: str, decisions: list[tuple[str, ControlDecisionV1]]):
    """Each decision twice, same event id: the back-office's outbox relay dying between publish and mark."""
    for _ in range(2):
        for key, made in decisions:
            await producer.send(topic, made.model_dump_json().encode(), key=key.encode())
    await producer.flush()


async def until(check, timeout_s: float, every_s: float = 1.0):
    """Poll `check()` (a coroutine) until it returns something true, or the timeout; returns its last answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = await check()
        if answer or time.monotonic() > deadline:
            return answer
        await asyncio.sleep(every_s)


def start_finance(stack: ScratchStack) -> subprocess.Popen:
    """The bank's side on Kafka: settles every payment it sees sent, none returned."""
    with (stack.logs / "finance.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "guichet_finance", "--kafka", "--return-every", "1000000000"],
            env=stack.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def drop_file(stack: ScratchStack, name: str, content: bytes) -> Path:
    """The bank channel's delivery: written aside, renamed into payments' inbound folder."""
    inbound = Path(stack.env["PAYMENTS_INBOUND_DIR"])
    inbound.mkdir(parents=True, exist_ok=True)
    (inbound / f".{name}").write_bytes(content)
    (inbound / f".{name}").rename(inbound / name)
    return inbound / "imported" / name


async def control_and_recovery(stack: ScratchStack, name: str, claims: int, seed: int) -> tuple[Figures, set[str]]:
    """The scenario's flow on a started stack; returns its figures and the processes left dead on purpose (none)."""
    figures, journey = Figures(name), Journey()
    watch = StatusWatch(stack.infra.kafka_bootstrap, stack.topic("claims.status.v1"))
    producer = AIOKafkaProducer(bootstrap_servers=stack.infra.kafka_bootstrap, enable_idempotence=True, acks="all")
    simulated = claims_for(min(claims, MAX_CLAIMS), seed)
    paid = {c.claim_id for c in simulated if c.expected_status == "paid"}
    finance, killer = start_finance(stack), Killer(stack)
    killing: asyncio.Task | None = None
    try:
        await watch.start()
        await producer.start()
        await publish_registry(producer, stack.prefix, simulated)
        await publish_claims(producer, stack.prefix, simulated)
        await _until_statuses(watch, dict.fromkeys(paid, "paid"), timeout_s=180)
        killing = asyncio.create_task(killer.run())
        opened_at = time.monotonic()
        await _open_campaign(stack, producer, journey, paid, seed, killer)
        await _decide(stack, producer, journey, killer)
        await _repay(stack, journey, killer)
        await _until_done(stack, watch, journey)
        figures.settle_s = round(time.monotonic() - opened_at, 1)  # from the campaign to the last order recovered
    finally:
        killer.stop()
        if killing is not None:
            await killing
        finance.terminate()
        finance.wait(timeout=20)
        await producer.stop()
    await asyncio.sleep(3.0)  # the last e-mails leave shortly after the last step
    try:
        await watch.until_final(set(), timeout_s=5)
        await measure_journey(stack, watch, journey, figures)
    finally:
        await watch.stop()
    figures.notes.append("kill -9: " + ", ".join(f"{n} x{k}" for n, k in sorted(killer.kills.items())))
    figures.notes.append(
        f"{len(journey.selected)} controlled: {len(journey.compliant)} compliant, {len(journey.ordered)} ordered, "
        f"{len(journey.credits)} credits"
    )
    from guichet_chaos.runner import personal_data_in  # the runner imports the faults, which import this module

    figures.personal_data_in_logs = personal_data_in(stack.log_text(), simulated)
    dead = [n for n, alive in stack.alive().items() if not alive]
    figures.notes.append("all alive" if not dead else f"exited: {', '.join(dead)}")
    return figures, set()


async def _until_statuses(watch: StatusWatch, expected: dict[str, str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        await watch.poll()
        told = {(e["claim_id"], e["status"]) for _, e in watch.events}
        if all((c, s) in told for c, s in expected.items()):
            return
    missing = sorted(
        c for c, s in expected.items() if (c, s) not in {(e["claim_id"], e["status"]) for _, e in watch.events}
    )
    raise AssertionError(f"never told {len(missing)} of {len(expected)}: {missing[:5]}")


async def _open_campaign(stack, producer, journey: Journey, paid: set[str], seed: int, killer: Killer) -> None:
    journey.campaign_id = f"C-{dt.datetime.now(dt.UTC):%Y%m%d}-{secrets.token_hex(4)}"
    opened = decision(
        "open_campaign",
        campaign_id=journey.campaign_id,
        programme=PROGRAMME,
        seed=seed,
        paid_before=dt.datetime.now(dt.UTC),
    )
    await publish_twice(producer, stack.topic("backoffice.control-decisions.v1"), [(journey.campaign_id, opened)])
    await killer.strike("payments-1")

    async def selected() -> set[str]:
        events = await events_of(stack, "payments.controls.v1")
        return {e["claim_id"] for e in events if e["kind"] == "selected" and e["campaign_id"] == journey.campaign_id}

    # The command says how many it selected; the events follow in the same transaction's outbox.
    journey.selected = await until(lambda: _stable(selected), timeout_s=120)
    assert journey.selected, "the campaign selected nothing"
    assert journey.selected <= paid, sorted(journey.selected - paid)


async def _stable(read) -> set[str]:
    """The answer once two reads a second apart agree (empty before)."""
    first = await read()
    await asyncio.sleep(1.0)
    return first if first and first == await read() else set()


async def _decide(stack, producer, journey: Journey, killer: Killer) -> None:
    """Every other selected claim compliant; the rest non-compliant, seconded, for all or part of the grant."""
    made = []
    for n, claim_id in enumerate(sorted(journey.selected)):
        if n % 2 == 0:
            journey.compliant.add(claim_id)
            made.append((claim_id, decision("record_outcome", claim_id=claim_id, outcome="compliant")))
            continue
        amount = 50_000 if n % 4 == 1 else 30_000
        journey.ordered[claim_id] = amount
        made.append(
            (
                claim_id,
                decision(
                    "record_outcome",
                    claim_id=claim_id,
                    outcome="non_compliant",
                    reason_code="CONTROL_INVOICE_NOT_GENUINE",
                    amount_undue_cents=amount,
                    seconded_by="chaos-supervisor",
                ),
            )
        )
    await publish_twice(producer, stack.topic("backoffice.control-decisions.v1"), made)
    await killer.strike("payments-1")
    await killer.strike("notifications", after_s=1.0)  # the control e-mails being sent


async def _repay(stack, journey: Journey, killer: Killer) -> None:
    """Once every order is issued: a partial credit each (structured reference), then the rest (free text), each
    file dropped while the killer strikes, then a statement repeating every credit."""

    async def issued() -> dict[str, dict]:
        events = await events_of(stack, "payments.recovery-orders.v1")
        found = {e["claim_id"]: e for e in events if e["step"] == "issued"}
        return found if set(journey.ordered) <= set(found) else {}

    orders = await until(issued, timeout_s=120)
    assert orders, f"orders never issued for all of {sorted(journey.ordered)}"
    today = dt.datetime.now(dt.UTC).date()
    first, rest = [], []
    for claim_id, amount in sorted(journey.ordered.items()):
        order = orders[claim_id]
        first.append((claim_id, Credit(10_000, order["payment_reference"], f"BK-{order['order_id']}-1")))
        rest.append(
            (
                claim_id,
                Credit(
                    amount - 10_000, order["payment_reference"], f"BK-{order['order_id']}-2", remittance="unstructured"
                ),
            )
        )
    journey.credits = first + rest
    token = secrets.token_hex(3)
    drop_file(stack, f"camt054-partial-{token}.xml", camt054(f"P-{token}", [c for _, c in first], today))
    await killer.strike("payments-1")
    await asyncio.sleep(2.0)
    drop_file(stack, f"camt054-rest-{token}.xml", camt054(f"R-{token}", [c for _, c in rest], today))
    await killer.strike("payments-1")
    await asyncio.sleep(2.0)
    drop_file(stack, f"camt053-{token}.xml", camt053(f"S-{token}", [c for _, c in journey.credits], today))
    await killer.strike("payments-1")
    await killer.strike("notifications", after_s=1.0)  # the recovery e-mails being sent


async def _until_done(stack, watch: StatusWatch, journey: Journey) -> None:
    expected = dict.fromkeys(journey.compliant, "control_closed") | dict.fromkeys(journey.ordered, "recovered")

    async def done() -> bool:
        await watch.poll()
        told = {(e["claim_id"], e["status"]) for _, e in watch.events}
        return all((c, s) in told for c, s in expected.items())

    await until(done, timeout_s=180, every_s=0.5)
