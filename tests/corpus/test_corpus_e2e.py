"""The acceptance corpus (cases.py) end to end: every case's registry records and claims go to the running stack as
a portal and the registry feed would send them, and every claim's statuses on claims.status.v1 must be exactly the
expected sequence. Then the whole corpus is delivered a second time (same events, same event_ids): nothing may
change. All mismatches are collected into one report, case by case."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
from aiokafka import AIOKafkaConsumer

pytestmark = pytest.mark.e2e


corpus = sys.modules["guichet_tests_corpus_cases"]  # loaded by this folder's conftest.py

# A step is over when one of these shows up (for our purposes: the brief's final statuses, plus the ones a
# wrong implementation could stop at).
TERMINAL = frozenset({"refused", "rejected", "under_review", "payment_sent", "paid", "waitlisted", "payment_returned"})
REGISTRY_HEAD_START_S = 2.0  # registry records go first; the stack itself waits 2 s for a missing one
STEP_FALLBACK_S = 40.0  # a step stuck without a final status releases the claims that depend on it anyway
DUPLICATE_QUIET_S = 3.0  # a same-content redelivery has nothing to wait for: watch it this long
ROUND1_BUDGET_S = 120.0
SETTLE_S = 4.0  # after the last final status: time for wrong extra statuses to show
REDELIVERY_WAIT_S = 12.0


class StatusFeed:
    """claims.status.v1 from the beginning, every partition, kept per claim_id (the key)."""

    def __init__(self, consumer: AIOKafkaConsumer, claim_ids: set[str]) -> None:
        self.consumer = consumer
        self.claim_ids = claim_ids
        self.events: dict[str, list[dict]] = defaultdict(list)

    async def poll(self, timeout_ms: int = 200) -> None:
        batch = await self.consumer.getmany(timeout_ms=timeout_ms)
        for records in batch.values():
            for record in records:
                claim_id = (record.key or b"").decode("utf-8", "replace")
                if claim_id not in self.claim_ids:
                    continue  # another test's claim
                try:
                    event = json.loads(record.value)
                except (TypeError, ValueError):
                    event = {"status": f"<unparseable {record.value[:40]!r}>", "reasons": []}
                self.events[claim_id].append(event)

    async def watch(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await self.poll()

    def statuses(self, claim_id: str) -> list[tuple[str, frozenset[str]]]:
        return [(e.get("status"), frozenset(e.get("reasons") or ())) for e in self.events.get(claim_id, [])]

    def snapshot(self) -> dict[str, list[tuple[str, frozenset[str]]]]:
        return {claim_id: self.statuses(claim_id) for claim_id in self.claim_ids}


@dataclass
class Track:
    """One case's progress through its ordered claims."""

    case: object
    index: int = -1
    published_at: float = 0.0
    baseline: int = 0  # statuses of this claim_id already there when the current step was published
    notes: list[str] = field(default_factory=list)

    @property
    def current(self):
        return self.case.submissions[self.index] if 0 <= self.index < len(self.case.submissions) else None

    @property
    def done(self) -> bool:
        return self.index >= len(self.case.submissions)

    def settled(self, feed: StatusFeed, now: float) -> bool:
        sub = self.current
        if not sub.expected:
            return now - self.published_at >= DUPLICATE_QUIET_S
        if any(status in TERMINAL for status, _ in feed.statuses(sub.claim_id)[self.baseline :]):
            return True
        if now - self.published_at > STEP_FALLBACK_S:
            self.notes.append(
                f"{sub.claim_id}: no final status within {STEP_FALLBACK_S:.0f} s; the next claim went anyway"
            )
            return True
        return False


def registry_values(cases) -> list[tuple[bytes, bytes]]:
    return [(r["siren"].encode(), json.dumps(r, ensure_ascii=False).encode()) for c in cases for r in c.registry]


def claim_value(sub) -> tuple[bytes, bytes]:
    return sub.key.encode(), sub.value()


async def run_round_one(stack, probe, feed: StatusFeed, cases) -> tuple[list[Track], float]:
    started = time.monotonic()
    await probe.publish(stack.topic("registry.companies.v1"), registry_values(cases))
    await feed.watch(REGISTRY_HEAD_START_S)
    tracks = [Track(case) for case in cases]

    async def publish_next(ready: list[Track]) -> None:
        for track in ready:
            track.index += 1
        ready = [t for t in ready if not t.done]
        if not ready:
            return
        for track in ready:
            track.baseline = len(feed.events.get(track.current.claim_id, []))
        await probe.publish(stack.topic("claims.submitted.v1"), [claim_value(t.current) for t in ready])
        now = time.monotonic()
        for track in ready:
            track.published_at = now

    await publish_next(tracks)
    deadline = started + ROUND1_BUDGET_S
    while time.monotonic() < deadline and not all(t.done for t in tracks):
        await feed.poll()
        now = time.monotonic()
        await publish_next([t for t in tracks if not t.done and t.settled(feed, now)])
    for track in tracks:
        if not track.done:
            unpublished = [s.claim_id for s in track.case.submissions[track.index + 1 :]]
            track.notes.append(
                f"round 1 budget ({ROUND1_BUDGET_S:.0f} s) spent while waiting for {track.current.claim_id}"
                + (f"; never published: {', '.join(unpublished)}" if unpublished else "")
            )
    await feed.watch(SETTLE_S)
    return tracks, time.monotonic() - started


def rule_version_problems(case, feed: StatusFeed) -> list[str]:
    problems, seen = [], set()
    for sub in case.submissions:
        if sub.claim_id in seen:
            continue  # a claim_id is decided once: its first submission says how
        seen.add(sub.claim_id)
        if sub.rule_version is None:
            continue
        for event in feed.events.get(sub.claim_id, []):
            if event.get("status") in corpus.DECISIONS and event.get("rule_version") != sub.rule_version:
                problems.append(
                    f"{sub.claim_id}: {event.get('status')} judged by rule_version {event.get('rule_version')!r}, "
                    f"expected {sub.rule_version!r}"
                )
    return problems


def describe(case, lines: list[str]) -> list[str]:
    return [f"── [{case.tag}] {case.name}", f"   spec: “{case.spec}”", *(f"   {line}" for line in lines), ""]


def build_report(cases, feed, first, second, tracks, dead, timings) -> tuple[str, int]:
    fmt = corpus.format_statuses
    blocks: list[str] = []
    failing_cases = 0
    by_code_total, by_code_failing = Counter(), Counter()
    round1_claims = redelivery_claims = 0
    for case, track in zip(cases, tracks):
        lines: list[str] = []
        for claim_id, expected in case.expected_by_claim.items():
            actual = first.get(claim_id, [])
            if actual != expected:
                round1_claims += 1
                lines += [f"{claim_id}", f"    expected: {fmt(expected)}", f"    actual:   {fmt(actual)}"]
            if second.get(claim_id, []) != actual:
                redelivery_claims += 1
                extra = second.get(claim_id, [])[len(actual) :]
                lines += [
                    f"{claim_id} changed when the corpus was delivered again",
                    f"    before: {fmt(actual)}",
                    f"    after:  {fmt(second.get(claim_id, []))}" + (f"   (new: {fmt(extra)})" if extra else ""),
                ]
        lines += rule_version_problems(case, feed)
        lines += track.notes
        codes = case.codes or {"(approved or no effect)"}
        for code in codes:
            by_code_total[code] += 1
        if lines:
            failing_cases += 1
            for code in codes:
                by_code_failing[code] += 1
            blocks += describe(case, lines)
    header = [
        f"ACCEPTANCE CORPUS: {failing_cases} of {len(cases)} cases mismatch "
        f"({round1_claims} claim(s) in round 1, {redelivery_claims} changed on redelivery); "
        f"round 1 took {timings['round1']:.1f} s, redelivery watch {timings['round2']:.1f} s",
    ]
    if dead:
        header.append(f"SERVICES DEAD AT THE END: {', '.join(dead)}")
    if by_code_failing:
        header.append("failing cases by expected code (failing / cases with that code):")
        header += [
            f"   {code:<28} {by_code_failing[code]:>2} / {by_code_total[code]}"
            for code in sorted(by_code_failing, key=lambda code: (-by_code_failing[code], code))
        ]
        header.append(f"   every other code: 0 failing ({len(by_code_total) - len(by_code_failing)} codes)")
    return "\n".join([*header, "", *blocks]), failing_cases + len(dead)


@pytest.mark.timeout(300)
async def test_the_acceptance_corpus_end_to_end(stack, probe) -> None:
    cases = corpus.CASES
    claim_ids = {sub.claim_id for case in cases for sub in case.submissions}
    consumer = AIOKafkaConsumer(
        stack.topic("claims.status.v1"),
        bootstrap_servers=probe.bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        feed = StatusFeed(consumer, claim_ids)
        tracks, round1_s = await run_round_one(stack, probe, feed, cases)
        first = feed.snapshot()

        # The whole corpus again, byte for byte (same event_ids): a portal and a registry feed redelivering.
        started = time.monotonic()
        await probe.publish(stack.topic("registry.companies.v1"), registry_values(cases))
        await probe.publish(
            stack.topic("claims.submitted.v1"), [claim_value(sub) for case in cases for sub in case.submissions]
        )
        await feed.watch(REDELIVERY_WAIT_S)
        second = feed.snapshot()
        round2_s = time.monotonic() - started
    finally:
        await consumer.stop()

    dead = [name for name, process in stack.processes.items() if process.poll() is not None]
    report, failures = build_report(cases, feed, first, second, tracks, dead, {"round1": round1_s, "round2": round2_s})
    if failures:
        pytest.fail(report, pytrace=False)
    print(report)  # shown with -s
