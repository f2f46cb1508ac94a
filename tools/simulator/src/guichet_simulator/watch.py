"""Follows what the system tells the outside world about one simulation run: statuses and payments."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from guichet_common.contracts.status import ClaimStatus

# Where a claim stops while no operator is in the loop (a returned payment is sent again, so it is not final).
FINAL_STATUSES: frozenset[ClaimStatus] = frozenset({"refused", "rejected", "under_review", "waitlisted", "paid"})


@dataclass
class RunView:
    """The latest status of each claim of the run, and the payments issued for them."""

    claim_ids: frozenset[str]
    latest: dict[str, dict] = field(default_factory=dict)
    status_events: int = 0
    payments: dict[str, dict] = field(default_factory=dict)  # payment_id -> latest attempt's event
    returned: set[str] = field(default_factory=set)  # claims whose payment came back

    def observe_status(self, event: dict) -> None:
        if event.get("claim_id") in self.claim_ids:
            self.status_events += 1
            if event["status"] == "payment_returned":
                self.returned.add(event["claim_id"])
            previous = self.latest.get(event["claim_id"])
            # A final status is never replaced by an earlier one delivered late.
            if previous is None or previous["status"] not in FINAL_STATUSES:
                self.latest[event["claim_id"]] = event

    def observe_payment(self, event: dict) -> None:
        if event.get("claim_id") in self.claim_ids:
            self.payments[event["payment_id"]] = event

    @property
    def reissued(self) -> int:
        return sum(1 for p in self.payments.values() if p["attempt"] > 1)

    @property
    def finished(self) -> int:
        return sum(1 for e in self.latest.values() if e["status"] in FINAL_STATUSES)

    def by_status(self) -> Counter[str]:
        return Counter(e["status"] for e in self.latest.values())

    def reserved_cents(self) -> int:
        return sum(p["amount_cents"] for p in self.payments.values())


class TopicFollower:
    """Reads a topic from its end as it was when `start()` returned, so only this run's events are seen."""

    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self._consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap_servers, enable_auto_commit=False, auto_offset_reset="latest"
        )
        self._topic = topic

    async def start(self, timeout_s: float = 30.0) -> None:
        await self._consumer.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not self._consumer.assignment():
            if loop.time() > deadline:
                raise TimeoutError(f"no partition of {self._topic} assigned after {timeout_s}s")
            await self._consumer.getmany(timeout_ms=100)
        # Resolve every partition's position now, before anything of this run is published.
        for partition in self._consumer.assignment():
            await self._consumer.position(TopicPartition(partition.topic, partition.partition))

    async def poll(self) -> list[dict]:
        batches = await self._consumer.getmany(timeout_ms=200, max_records=5000)
        events = []
        for records in batches.values():
            for record in records:
                try:
                    events.append(orjson.loads(record.value))
                except (TypeError, ValueError):
                    continue
        return events

    async def stop(self) -> None:
        await self._consumer.stop()
