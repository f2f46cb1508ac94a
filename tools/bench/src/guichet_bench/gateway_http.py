"""A portal posting claims to the gateway over HTTP at a target rate: a pool of keep-alive connections, each POST
sent at its place in the schedule (or at once when the pool is behind), its latency and answer recorded."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from guichet_bench.load import percentile


@dataclass(frozen=True, slots=True)
class ClaimBody:
    """A claim as a portal posts it, serialised before the clock starts (the portal's own work, not ours)."""

    claim_id: str
    body: bytes


@dataclass
class PostFigures:
    target_rate: float | None  # None: flat out
    connections: int
    latencies_ms: list[float] = field(default_factory=list)
    answers: Counter[int] = field(default_factory=Counter)  # HTTP status -> count; 0 for a transport error
    accepted_at: dict[str, float] = field(default_factory=dict)  # claim_id -> monotonic time of its 202
    first_sent: float = 0.0
    last_answered: float = 0.0

    @property
    def seconds(self) -> float:
        return max(self.last_answered - self.first_sent, 1e-9)

    @property
    def accepted_per_s(self) -> float:
        return len(self.accepted_at) / self.seconds

    def latency_ms(self, fraction: float) -> float:
        return percentile(self.latencies_ms, fraction)


async def post_claims(
    base_url: str, api_key: str, claims: Sequence[ClaimBody], *, rate: float | None, connections: int
) -> PostFigures:
    """POST every claim to /v1/claims, paced at `rate` per second against the schedule (so one slow answer does
    not lower the rate), with at most `connections` requests in flight."""
    figures = PostFigures(rate, connections)
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    next_index = iter(range(len(claims)))
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60.0, headers=headers) as client:
        started = time.monotonic()
        figures.first_sent = started

        async def worker() -> None:
            for index in next_index:
                if rate is not None:
                    delay = started + index / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                await _post_one(client, claims[index], figures)

        await asyncio.gather(*(worker() for _ in range(connections)))
    figures.last_answered = max(figures.accepted_at.values(), default=time.monotonic())
    return figures


async def _post_one(client: httpx.AsyncClient, claim: ClaimBody, figures: PostFigures) -> None:
    sent = time.perf_counter()
    try:
        answer = await client.post("/v1/claims", content=claim.body)
    except httpx.HTTPError:
        figures.answers[0] += 1
        return
    figures.latencies_ms.append((time.perf_counter() - sent) * 1000)
    figures.answers[answer.status_code] += 1
    if answer.status_code == 202:
        figures.accepted_at[claim.claim_id] = time.monotonic()
