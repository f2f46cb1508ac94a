"""Offered load and what comes out of it: claims published (paced or flat out) and their final statuses watched."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson
from aiokafka import AIOKafkaProducer

from guichet_common.contracts.status import ClaimStatus
from guichet_simulator.generator import generate_claims
from guichet_simulator.regional import mix_programmes
from guichet_simulator.watch import TopicFollower

# The pipeline's own last word on a claim. `payment_sent` means the SEPA file exists: settlement is the bank's
# time, not ours, so `paid` is not waited for here.
BENCH_FINAL_STATUSES: frozenset[ClaimStatus] = frozenset(
    {"refused", "rejected", "under_review", "waitlisted", "payment_sent"}
)
REGISTRY_NO_RECORD = "REGISTRY_NO_RECORD"
_MAX_IN_FLIGHT = 2_000


@dataclass(frozen=True, slots=True)
class EncodedClaim:
    """A claim as the portal sends it, serialised before the clock starts (a portal's own work, not ours)."""

    claim_id: str
    key: bytes  # the applicant's SIREN, as portals key their claims
    value: bytes


@dataclass
class ClaimSet:
    claims: list[EncodedClaim] = field(default_factory=list)
    registry: dict[str, bytes] = field(default_factory=dict)  # the companies' registry records, by SIREN


def generate(count: int, seed: int, tag: str, chunk: int = 50_000) -> ClaimSet:
    """`count` simulated claims (both programmes), generated a chunk at a time and kept only as bytes: a million
    claims as the simulator's objects would take gigabytes."""
    result = ClaimSet()
    for start in range(0, count, chunk):
        run_id = f"B{tag}{seed:x}{start // chunk:x}"[:12]
        for claim in mix_programmes(generate_claims(min(chunk, count - start), seed + start, run_id=run_id)):
            siren = claim.event["claim"]["applicant"]["siren"]
            result.claims.append(EncodedClaim(claim.claim_id, siren.encode(), orjson.dumps(claim.event)))
            if claim.registry_record is not None:
                result.registry[siren] = orjson.dumps(claim.registry_record)
    return result


@dataclass
class FinalWatch:
    """When (monotonic seconds) each watched claim first reached a final status."""

    follower: TopicFollower
    claim_ids: frozenset[str]
    track_stages: bool = False
    reached: dict[str, float] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    # First sighting of every status of each claim, to show where the time goes between the stages.
    stages: dict[str, dict[str, float]] = field(default_factory=dict)
    # Claims whose company is not in the registry wait its grace period on purpose before going to review.
    held_for_registry: set[str] = field(default_factory=set)

    async def poll(self) -> None:
        events = await self.follower.poll()
        now = time.monotonic()
        for event in events:
            claim_id = event.get("claim_id")
            if claim_id not in self.claim_ids:
                continue
            if self.track_stages:
                self.stages.setdefault(event.get("status"), {}).setdefault(claim_id, now)
            if event.get("status") in BENCH_FINAL_STATUSES:
                if claim_id not in self.reached:
                    self.reached[claim_id] = now
                    self.statuses[claim_id] = event["status"]
                    if REGISTRY_NO_RECORD in event.get("reasons", ()):
                        self.held_for_registry.add(claim_id)

    async def until_all_final(self, timeout_s: float, on_tick=None) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.reached) < len(self.claim_ids):
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(self.reached)}/{len(self.claim_ids)} claims final after {timeout_s}s")
            await self.poll()
            if on_tick is not None:
                on_tick(len(self.reached))


async def publish_claims(
    producer: AIOKafkaProducer, claims: Sequence[EncodedClaim], topic: str, *, rate: float | None = None
) -> dict[str, float]:
    """Send every claim (keyed by SIREN, as portals do), paced at `rate` per second or flat out; return each
    claim's send time. Returns once every send is acknowledged."""
    started = time.monotonic()
    sent_at: dict[str, float] = {}
    in_flight: list[asyncio.Future] = []
    for index, claim in enumerate(claims):
        if rate is not None:
            # Pace against the schedule, not the previous send, so a slow send does not lower the rate.
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        sent_at[claim.claim_id] = time.monotonic()
        in_flight.append(await producer.send(topic, value=claim.value, key=claim.key))
        if len(in_flight) >= _MAX_IN_FLIGHT:
            await asyncio.gather(*in_flight)
            in_flight.clear()
    await asyncio.gather(*in_flight)
    return sent_at


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation): a value that was actually observed."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
