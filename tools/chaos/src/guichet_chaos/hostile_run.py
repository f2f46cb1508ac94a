"""The adversarial scenario ("hostile"): hostile records (guichet_chaos.hostile) published through the real broker
into a running stack, each right after the normal claim whose key (SIREN) and programme it shares, then checked:

- every normal claim reaches its expected final status and its e-mail;
- every hostile record ends refused with codes, dead-lettered, set aside with its reason, or decided like any
  claim; registry records, bank details and settlements, which get no status, at least consumed;
- nothing twice (statuses, payments, e-mails), and no job logging the same failure twice in a row for one item.
"""

from __future__ import annotations

import asyncio
import email
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from guichet_chaos.checker import Figures, StatusWatch, read_all
from guichet_chaos.hostile import CLAIMS, HostileInput, hostile_inputs
from guichet_chaos.hostile_outcomes import set_aside_claims
from guichet_common.contracts.status import ClaimStatus
from guichet_common.kafka_record_decoding import writing_raw_header_names
from guichet_common.topics import consumer_group, owner_of
from guichet_simulator.generator import GOOD_STATUS, SimulatedClaim
from guichet_simulator.publisher import encode

SHORT_RUN_INPUTS = 300
LONG_RUN_INPUTS = 10_000  # `make chaos CHAOS_ARGS='--only hostile'`; --hostile-inputs N changes it
OUTCOMES = ("refused", "dead-lettered", "set aside", "decided", "consumed", "unresolved")
_DECIDED: frozenset[ClaimStatus] = frozenset(
    {"rejected", "under_review", "approved", "waitlisted", "payment_scheduled", "payment_sent"}
)


@dataclass
class HostileFigures:
    tried: int = 0
    normal_claims: int = 0
    normal_stalled: int = 0  # not at their expected final status
    normal_without_email: int = 0
    duplicate_effects: int = 0
    repeated_job_failures: int = 0
    outcomes: Counter = field(default_factory=Counter)
    by_family: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    symptoms: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.normal_stalled
            or self.normal_without_email
            or self.duplicate_effects
            or self.repeated_job_failures
            or self.outcomes["unresolved"]
        )


def expected_final(claim: SimulatedClaim) -> ClaimStatus:
    """No finance in the loop: a good claim stops at payment_sent."""
    return "payment_sent" if claim.expected_status == GOOD_STATUS else claim.expected_status


def templates_of(claims: list[SimulatedClaim]) -> list[SimulatedClaim]:
    """Normal claims hostile ones may share a key with: those whose registry record is published (a hostile claim
    waiting for the same missing record could be judged first and make the normal one ALREADY_AIDED)."""
    return [claim for claim in claims if claim.registry_record is not None]


def draw(count: int, seed: int, claims: list[SimulatedClaim]) -> list[HostileInput]:
    return hostile_inputs(count, seed, templates_of(claims))


async def publish_interleaved(scene) -> None:
    """Each normal claim, then the hostile records built on it; the others spread in between."""
    prefix, producer = scene.stack.prefix, scene.producer
    after: dict[str, list[HostileInput]] = defaultdict(list)
    loose: list[HostileInput] = []
    for record in scene.hostile:
        (after[record.after] if record.after else loose).append(record)
    per_claim = -(-len(loose) // max(1, len(scene.claims)))
    pending = []
    # A RawHeaderName goes out as its bytes (aiokafka's pure-Python builder); the registry records before are flushed.
    with writing_raw_header_names():
        for index, claim in enumerate(scene.claims):
            await producer.send(prefix + CLAIMS, encode(claim.event), key=claim.siren.encode())
            for record in after.pop(claim.claim_id, []) + loose[index * per_claim : (index + 1) * per_claim]:
                headers = [(name, value if value is not None else b"") for name, value in record.headers]
                future = await producer.send(prefix + record.topic, record.value, key=record.key, headers=headers)
                pending.append((record, future))
            if index % 10 == 9:
                await asyncio.sleep(0.1)
        await producer.flush()
        scene.sent = [(record, (await future)) for record, future in pending]
    return None


async def until_quiet(watch: StatusWatch, timeout_s: float, quiet_s: float = 10.0) -> None:
    """Until no status has been published for `quiet_s` (the hostile claims' outcomes come after the normal ones)."""
    deadline, last, still = time.monotonic() + timeout_s, -1, time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - still < quiet_s:
        await watch.poll()
        if len(watch.events) != last:
            last, still = len(watch.events), time.monotonic()


async def check_hostile(scene, watch: StatusWatch, figures: Figures) -> HostileFigures:
    stack, result = scene.stack, HostileFigures(tried=len(scene.sent), normal_claims=len(scene.claims))
    tracked = {record.claim_id for record, _ in scene.sent if record.claim_id}
    statuses = _statuses(watch)
    for claim in scene.claims:
        seen = statuses.get(claim.claim_id, {})
        if expected_final(claim) not in seen:
            result.normal_stalled += 1
            result.symptoms.append(f"normal {claim.claim_id}: expected {expected_final(claim)}, saw {sorted(seen)}")
    result.normal_without_email = await _without_email(stack.maildir, scene.claims, timeout_s=60 + len(scene.sent) / 50)
    dead_coordinates, dead_claims = await _dead_letters(stack)
    aside = await set_aside_claims(stack.database_urls)
    consumed = await _consumed(stack, scene.sent)
    for record, sent in scene.sent:
        outcome = _outcome(record, sent, statuses, dead_coordinates, dead_claims, aside.claims, consumed)
        result.outcomes[outcome] += 1
        result.by_family[record.family][outcome] += 1
        if outcome == "unresolved" and len(result.symptoms) < 40:
            seen = sorted(statuses.get(record.claim_id or "", {}))
            result.symptoms.append(f"hostile {record.family} at {sent.partition}/{sent.offset}: statuses {seen}")
    hostile_repeats = sum(n - 1 for (claim, _), n in _status_counts(watch).items() if claim in tracked and n > 1)
    result.duplicate_effects = (
        figures.duplicate_statuses + figures.duplicate_payments + figures.duplicate_emails + hostile_repeats
    )
    result.repeated_job_failures, failures = repeated_failures(stack.logs)
    result.symptoms += [f"job failing again and again: {what} x{n}" for what, n in failures.most_common(10)]
    result.symptoms += [f"batches split: {what} x{n}" for what, n in split_batches(stack.logs).most_common(6) if n > 5]
    result.symptoms += [f"set aside: {kind} x{n}" for kind, n in sorted(aside.by_kind.items())]
    return result


def _outcome(record, sent, statuses, dead_coordinates, dead_claims, aside_claims, consumed) -> str:
    seen = statuses.get(record.claim_id or "", {})
    if record.claim_id and seen.get("refused"):
        return "refused"
    if (sent.topic, sent.partition, sent.offset) in dead_coordinates or (record.claim_id or "") in dead_claims:
        return "dead-lettered"
    if record.claim_id in aside_claims:
        return "set aside"
    if seen.keys() & _DECIDED:
        return "decided"
    # A claim must get a status; a registry record, bank details or a settlement only has to be consumed.
    if record.topic != CLAIMS and (sent.topic, sent.partition, sent.offset) in consumed:
        return "consumed"
    return "unresolved"


def repeated_failures(logs: Path) -> tuple[int, Counter]:
    """Log lines saying again what the same process had just said about the same item or job: an item set aside
    twice, or a background job failing twice in a row with the same error (one stuck item retried)."""
    repeats, what = 0, Counter()
    for path in sorted(logs.glob("*.log")):
        aside: Counter = Counter()
        last_error: dict[str, str] = {}
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if '"item_set_aside"' not in line and '"background_job_failed"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("event") == "item_set_aside":
                aside[(entry.get("kind"), entry.get("item_id"))] += 1
            elif entry.get("event") == "background_job_failed":
                job, error = str(entry.get("job")), str(entry.get("error"))[:160]
                if last_error.get(job) == error:
                    repeats += 1
                    what[f"{path.stem} {job}: {error}"] += 1
                last_error[job] = error
        for (kind, item), count in aside.items():
            if count > 1:
                repeats += count - 1
                what[f"{path.stem} set {kind} {item} aside"] += count - 1
    return repeats, what


def split_batches(logs: Path) -> Counter:
    """Consumers' batches split to find a bad record, by topic and error: by the hundred, one record is retried
    forever (a dead letter that cannot be written). A symptom for the report; the stall itself shows as normal
    claims stalled and hostile records unresolved."""
    found: Counter = Counter()
    for path in sorted(logs.glob("*.log")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if '"batch_split_after_error"' in line:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                topic = str(entry.get("topic", "?")).split(".", 1)[-1]
                found[f"{path.stem} {topic}: {str(entry.get('error'))[:100]}"] += 1
    return found


def _statuses(watch: StatusWatch) -> dict[str, dict[str, list]]:
    found: dict[str, dict[str, list]] = defaultdict(dict)
    for _, event in watch.events:
        found[event["claim_id"]][event["status"]] = event.get("reasons") or []
    return found


def _status_counts(watch: StatusWatch) -> Counter:
    unique = {e["event_id"]: e for _, e in watch.events}.values()
    return Counter((e["claim_id"], e["status"]) for e in unique)


async def _without_email(maildir: Path, claims: list[SimulatedClaim], timeout_s: float) -> int:
    """Normal claims whose final e-mail has not arrived, once they all have or `timeout_s` passed: thousands of
    hostile claims' e-mails (refusals, rejections) queue ahead of the last normal ones."""
    deadline, known = time.monotonic() + timeout_s, {}
    while True:
        arrived = _message_ids(maildir, known)
        missing = sum(
            1 for c in claims if not any(m.startswith(f"<{c.claim_id}.{expected_final(c)}@") for m in arrived)
        )
        if not missing or time.monotonic() > deadline:
            return missing
        await asyncio.sleep(2.0)


def _message_ids(maildir: Path, known: dict[str, str]) -> set[str]:
    """Message-IDs in the sink's maildir; `known` remembers the files already read (a delivered file never changes)."""
    for folder in ("new", "cur"):
        for path in (maildir / folder).glob("*") if (maildir / folder).exists() else []:
            if path.name not in known:
                known[path.name] = str(email.message_from_bytes(path.read_bytes())["Message-ID"] or "")
    return set(known.values())


async def _dead_letters(stack) -> tuple[set[tuple[str, int, int]], set[str]]:
    """Original coordinates of every dead letter of the run, and the claim_ids their values name."""
    coordinates, claim_ids = set(), set()
    for topic in ("claims.submitted.v1", "claims.bank-details.v1", "registry.companies.v1",
                  "payments.settlements.v1", "intake.claims-registered.v1", "eligibility.decisions.v1",
                  "claims.status.v1", "intake.applicant-contacts.v1"):  # fmt: skip
        for dead in await read_all(stack.infra.kafka_bootstrap, stack.topic(topic + ".dlq"), idle_s=1.0):
            headers = {name: value for name, value in dead.headers or ()}  # the last of a name: ours, not forged
            try:
                original = (
                    headers["dlq.original.topic"].decode(),
                    int(headers["dlq.original.partition"]),
                    int(headers["dlq.original.offset"]),
                )
                coordinates.add(original)
            except (KeyError, ValueError, AttributeError):
                pass
            claim_ids |= _claim_ids_in(dead.value)
    return coordinates, claim_ids


def _claim_ids_in(value: bytes | None) -> set[str]:
    try:
        body = json.loads(value or b"")
    except (ValueError, RecursionError):
        return set()
    if not isinstance(body, dict):
        return set()
    inner = body.get("claim")
    found = [body.get("claim_id"), inner.get("claim_id") if isinstance(inner, dict) else None]
    return {value for value in found if isinstance(value, str)}  # hostile ones may be lists or objects


async def _consumed(stack, sent) -> set[tuple[str, int, int]]:
    """Records their owning service's consumer group has committed past."""
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.infra.kafka_bootstrap)
    await admin.start()
    try:
        committed: dict[tuple[str, int], int] = {}
        for topic in {record.topic for record, _ in sent}:
            group = consumer_group(owner_of(topic), stack.topic(topic))
            for tp, meta in (await admin.list_consumer_group_offsets(group)).items():
                committed[(tp.topic, tp.partition)] = meta.offset
    finally:
        await admin.close()
    return {(m.topic, m.partition, m.offset) for _, m in sent if committed.get((m.topic, m.partition), -1) > m.offset}


HOSTILE_COLUMNS = (
    "scenario", "inputs tried", "normal stalled or lost", "normal without e-mail", "duplicate effects",
    "repeated job failures", *OUTCOMES,
)  # fmt: skip


def hostile_table(results: list[Figures]) -> str:
    """The adversarial scenario's figures, then its outcomes by family of hostile input, then what went wrong."""
    rows: list[tuple] = [HOSTILE_COLUMNS]
    families: list[tuple] = [("family", *OUTCOMES)]
    symptoms: list[str] = []
    for figures in results:
        h = figures.hostile
        if h is None:
            continue
        rows.append(
            (figures.scenario, h.tried, h.normal_stalled, h.normal_without_email, h.duplicate_effects,
             h.repeated_job_failures, *(h.outcomes[o] for o in OUTCOMES))
        )  # fmt: skip
        families += [(name, *(counts[o] for o in OUTCOMES)) for name, counts in sorted(h.by_family.items())]
        symptoms += h.symptoms
    return "\n\n".join([_grid(rows), _grid(families), "\n".join(symptoms)]).rstrip()


def _grid(rows: list[tuple]) -> str:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
