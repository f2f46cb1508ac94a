"""Compares the end state with what was published: claims lost, duplicate effects, overshoot, dead letters."""

from __future__ import annotations

import asyncio
import email
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from guichet_common.contracts.status import ClaimStatus
from guichet_common.kafka_admin import partitions_of

# Where a claim stops in a scenario (no operator and no finance in the loop).
FINAL: frozenset[ClaimStatus] = frozenset({"refused", "rejected", "under_review", "waitlisted", "payment_sent"})


@dataclass
class Figures:
    scenario: str
    published: int = 0
    lost: int = 0
    duplicate_statuses: int = 0
    duplicate_payments: int = 0
    duplicate_emails: int = 0
    overshoot_cents: int = 0
    dead_letters: int = 0
    personal_data_in_logs: int = 0
    graceful_exit: bool = True
    recovery_s: float | None = None
    settle_s: float = 0.0
    final_after_fault: int | None = None  # claims that reached their final status after the fault struck
    notes: list[str] = field(default_factory=list)
    hostile: Any = None  # guichet_chaos.hostile_run.HostileFigures, for the adversarial scenario

    @property
    def ok(self) -> bool:
        return not (
            self.lost
            or self.duplicate_statuses
            or self.duplicate_payments
            or self.duplicate_emails
            or self.overshoot_cents
            or (self.hostile is not None and not self.hostile.ok)
        )


class StatusWatch:
    """Follows the prefix's status topic from the start, recording when each event arrived."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=8 * 1024 * 1024,
        )
        self.events: list[tuple[float, dict]] = []

    async def start(self) -> None:
        await self._consumer.start()

    async def poll(self) -> None:
        batches = await self._consumer.getmany(timeout_ms=200)
        now = time.monotonic()
        self.events += [(now, json.loads(r.value)) for rs in batches.values() for r in rs]

    async def stop(self) -> None:
        await self._consumer.stop()

    def finals(self) -> set[str]:
        return {e["claim_id"] for _, e in self.events if e["status"] in FINAL}

    def first_event_after(self, moment: float) -> float | None:
        later = [t for t, _ in self.events if t > moment]
        return min(later) - moment if later else None

    async def until_final(self, claim_ids: set[str], timeout_s: float, quiet_s: float = 3.0) -> None:
        deadline, last_count, last_change = time.monotonic() + timeout_s, -1, time.monotonic()
        while time.monotonic() < deadline:
            await self.poll()
            if len(self.events) != last_count:
                last_count, last_change = len(self.events), time.monotonic()
            if claim_ids <= self.finals() and time.monotonic() - last_change > quiet_s:
                return


async def read_all(bootstrap: str, topic: str, idle_s: float = 2.0, timeout_s: float = 120.0) -> list:
    """Every record of `topic` up to its end when asked. Not "until it goes quiet": a service stuck dead-lettering
    the same record again and again never lets it (`idle_s` only guards a topic whose ends cannot be read)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        partitions = await partitions_of(admin, topic)
    finally:
        await admin.close()
    await consumer.start()
    records: list = []
    try:
        if not partitions:
            return records
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline, last = time.monotonic() + timeout_s, time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - last < max(idle_s, 5.0):
            if all([await consumer.position(tp) >= ends[tp] for tp in partitions]):
                break
            batch = await consumer.getmany(timeout_ms=200)
            if batch:
                records += [r for tp, rs in batch.items() for r in rs if r.offset < ends[tp]]
                last = time.monotonic()
    finally:
        await consumer.stop()
    return records


def email_duplicates(maildir: Path) -> int:
    ids: Counter[str] = Counter()
    for folder in ("new", "cur"):
        for path in (maildir / folder).glob("*") if (maildir / folder).exists() else []:
            ids[email.message_from_bytes(path.read_bytes())["Message-ID"]] += 1
    return sum(count - 1 for count in ids.values() if count > 1)


def mail_kinds(maildir: Path) -> Counter[tuple[str, str]]:
    """(claim_id, kind) of every e-mail in the sink, from its Message-ID `<claim_id.kind@domain>`."""
    found: Counter[tuple[str, str]] = Counter()
    for folder in ("new", "cur"):
        for path in (maildir / folder).glob("*") if (maildir / folder).exists() else []:
            claim_and_kind = (email.message_from_bytes(path.read_bytes())["Message-ID"] or "").strip("<>").split("@")[0]
            claim_id, _, kind = claim_and_kind.rpartition(".")
            found[(claim_id, kind)] += 1
    return found


async def measure(stack, watch: StatusWatch, claim_ids: set[str], figures: Figures) -> Figures:
    """Fill in `figures` from the topics, the mail store and the payments database."""
    # A status event delivered twice with the same event_id is harmless (receivers dedupe by event_id); the same
    # change announced under two event_ids is a duplicate effect.
    statuses = Counter((e["claim_id"], e["status"]) for e in {e["event_id"]: e for _, e in watch.events}.values())
    redelivered = len(watch.events) - len({e["event_id"] for _, e in watch.events})
    if redelivered:
        figures.notes.append(f"{redelivered} status events delivered again (same event_id)")
    figures.published = len(claim_ids)
    figures.lost = len(claim_ids - watch.finals())
    figures.duplicate_statuses = sum(n - 1 for (claim, _), n in statuses.items() if n > 1 and claim in claim_ids)
    issued = [
        json.loads(r.value) for r in await read_all(stack.infra.kafka_bootstrap, stack.topic("payments.issued.v1"))
    ]
    per_claim = Counter(claim for claim, _payment in {(p["claim_id"], p["payment_id"]) for p in issued})
    figures.duplicate_payments = sum(n - 1 for n in per_claim.values() if n > 1)
    await asyncio.sleep(2.0)  # the last e-mails leave shortly after the last status
    figures.duplicate_emails = email_duplicates(stack.maildir)
    conn = await asyncpg.connect(stack.database_urls["payments"])
    try:
        row = await conn.fetchrow("SELECT coalesce(max(reserved_cents - total_cents), 0) AS over FROM budgets")
        figures.overshoot_cents = max(0, row["over"])
    finally:
        await conn.close()
    dead = 0
    for topic in (
        "claims.submitted.v1.dlq",
        "registry.companies.v1.dlq",
        "intake.claims-registered.v1.dlq",
        "eligibility.decisions.v1.dlq",
        "claims.status.v1.dlq",
        "intake.applicant-contacts.v1.dlq",
    ):
        dead += len(await read_all(stack.infra.kafka_bootstrap, stack.topic(topic), idle_s=1.0))
    figures.dead_letters = dead
    return figures
