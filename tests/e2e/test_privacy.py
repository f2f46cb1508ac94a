"""Issue 18's "Done when", end to end on a stack of its own: a few simulated claims go to paid (one of them posted
over the gateway's HTTP door, so that all six databases hold some), rejected, refused and under review; a
subject-access export for one applicant holds every place and value a scan of the six databases finds of them, and
nothing of anyone else; an erasure of the claim under review is refused and recorded. Then the same stack restarts
with its clock 900 days on, past every retention period: once every service has announced its erasures, no
database, file or internal topic yields a seeded name, e-mail, phone or IBAN of the expired claims, in clear or
under a key still held, while reconcile and the programme report say what they said before."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from guichet_common import topics
from guichet_common.privacy.sealing import MasterKey
from guichet_simulator.generator import SimulatedClaim, generate_claims
from guichet_simulator.publisher import publish_simulation

# pytest imports in importlib mode: this folder is not on sys.path, and the scan lives beside the test.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e_privacy_scan import (
    Finding,
    HeldKeys,
    Person,
    findings_in,
    held_keys,
    master_key_of,
    read_topics,
    scan_databases,
    scan_files,
    strings_in,
)

pytestmark = pytest.mark.e2e
STARTED = time.monotonic()


def mark(step: str) -> None:
    """Where the test's time goes (printed; pytest shows it when the test fails)."""
    print(f"{time.monotonic() - STARTED:7.1f} s  {step}", flush=True)


# Contacts 24 months after the final status, bank details 13 months after the payment: 900 days is past both.
MOVED_CLOCK = {"GUICHET_CLOCK_OFFSET_DAYS": "900", "GUICHET_PRIVACY_SWEEP_EVERY_S": "1"}
EXPECTED = {"exported": "paid", "paid": "paid", "rejected": "rejected", "refused": "refused", "kept": "under_review"}
EXPIRING = ("exported", "paid", "rejected", "refused")
PRIVACY_OFFICER = "super-one"  # a supervisor: sees unmasked data, so may ask an export
EXTERNAL = {
    spec.name
    for spec in (
        topics.CLAIMS_SUBMITTED,
        topics.CLAIMS_BANK_DETAILS,
        topics.REGISTRY_COMPANIES,
        topics.CLAIMS_STATUS,
        topics.PAYMENTS_ISSUED,
        topics.PAYMENTS_SETTLEMENTS,
    )
}
SERVICES = ("intake", "eligibility", "payments", "notifications", "gateway", "backoffice")
INTERNAL_TOPICS = [
    s.name for s in topics.topic_names_with_dead_letters() if topics.original_topic(s.name) not in EXTERNAL
]


def pick_claims(run_id: str) -> dict[str, SimulatedClaim]:
    """One claim per role of EXPECTED. The exported applicant has a phone and an account in their own name, so every
    kind of value is looked for; no manager's full name is part of their firm's name (the registry's, not theirs)."""
    picked: dict[str, SimulatedClaim] = {}
    for claim in generate_claims(400, seed=18, run_id=f"PV{run_id}", problem_share=0.5):
        applicant, contact = claim.event["claim"]["applicant"], claim.event["claim"]["contact"]
        if contact["full_name"].casefold() in applicant["legal_name"].casefold():
            continue
        wanted = Person.of(claim).values.keys() >= {"phone", "holder_name"}
        role = next(
            (
                r
                for r, status in EXPECTED.items()
                if r not in picked and status == claim.expected_status and (r != "exported" or wanted)
            ),
            None,
        )
        if role is not None:
            picked[role] = claim
    assert picked.keys() == EXPECTED.keys(), f"the simulator drew no claim for {EXPECTED.keys() - picked.keys()}"
    return picked


async def test_personal_data_is_exported_kept_while_under_review_and_gone_everywhere_after_retention(
    infra, probe, run_id: str, tmp_path: Path, private_stack, backoffice_for
) -> None:
    claims = pick_claims(run_id)
    people = {role: Person.of(claim) for role, claim in claims.items()}
    expiring = [people[role] for role in EXPIRING]
    (tmp_path / "stack").mkdir()
    async with private_stack(f"pv{run_id}", tmp_path / "stack") as stack:
        mark("stack started")
        master = master_key_of(stack.env)
        finance = start_finance(stack.env, tmp_path / "finance.log")
        try:
            # The second paid claim comes over the gateway's HTTP door, so that the gateway holds personal data too.
            await post_over_http(stack, probe, claims["paid"])
            by_kafka = [claim for role, claim in claims.items() if role != "paid"]
            await publish_simulation(by_kafka, bootstrap_servers=infra.kafka_bootstrap, prefix=stack.topic_prefix)
            await until_statuses(probe, stack, {claims[r].claim_id: s for r, s in EXPECTED.items()})
        finally:
            finance.terminate()
            finance.wait(timeout=20)

        mark("claims final")
        for service in SERVICES:  # each has made its tables (the back-office and the gateway, say)
            await stack.until_ready(service)
        async with backoffice_for(stack, f"pv{run_id}") as backoffice:
            # Article 15: the export holds every place and value the scan finds of the applicant, nobody else's.
            exported = people["exported"]
            before = await settled_scan(stack, list(people.values()), master)
            assert {f.claim_id for f in before} >= {p.claim_id for p in expiring}, "the scan finds nothing: vacuous"
            mark("databases settled")
            done = backoffice.console(
                stack.env, PRIVACY_OFFICER, "privacy", "export", "--claim", exported.claim_id, "--json",
                "--reason", "Demande d'accès (article 15)", "--out", str(tmp_path / "exports"), "--wait", "60",
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            check_export(json.loads(done.stdout), exported, before, [p for p in people.values() if p is not exported])

            mark("exported")
            # Article 17 refused while the claim is under review, and recorded where it was decided and asked.
            kept = people["kept"]
            reason = f"Demande d'effacement {run_id}"
            refused = backoffice.console(
                stack.env, PRIVACY_OFFICER, "privacy", "erase", "--claim", kept.claim_id, "--reason", reason, "--json"
            )
            assert refused.returncode == 1, refused.stderr  # refused
            [answer] = json.loads(refused.stdout)
            assert answer["outcome"] == "refused", answer
            assert answer["detail"].startswith("ERASURE_REFUSED_UNDER_REVIEW"), answer
            code = "ERASURE_REFUSED_UNDER_REVIEW"
            assert await rows_mentioning(stack.database_urls["notifications"], kept.claim_id, code)
            assert await rows_mentioning(stack.database_urls["backoffice"], answer["request_id"], code)
            assert await rows_mentioning(stack.database_urls["backoffice"], reason)

        mark("erasure refused")
        figures_before = figures(stack)
        mark("reconciled and reported")
        await stack.restart(MOVED_CLOCK)
        for service in SERVICES:  # a service that died at start would otherwise show as an erasure never announced
            await stack.until_ready(service)
        mark("restarted 900 days later")
        remaining, keys = await until_erased(stack, expiring, claims)
        assert not remaining, "\n".join(sorted({f"{f.place}: {f.label} of {f.claim_id}" for f in remaining}))
        assert any(k[0] == kept.claim_id for k in keys.live), "the claim under review lost its keys"
        assert await scan_databases(stack.database_urls, [kept], keys), "the claim under review lost its data"

        mark("erased")
        # Reading the internal topics from the beginning: nothing in clear, nothing under a key still held.
        records = await read_topics(infra.kafka_bootstrap, [stack.topic(name) for name in INTERNAL_TOPICS])
        on_topics = [f for f in topic_findings(stack, records, expiring, keys) if not exempt(stack, f, exported)]
        assert not on_topics, sorted({f"{f.place}: {f.label} of {f.claim_id}" for f in on_topics})
        assert_keys_announced_destroyed(records[stack.topic(topics.CLAIM_KEYS.name)], expiring)

        mark("topics read")
        assert figures(stack) == figures_before


async def post_over_http(stack, probe, claim: SimulatedClaim) -> None:
    """As a portal on the HTTP door does (a portal added as `guichet portals add` does), its company known first."""
    from guichet_gateway import portals

    record = json.dumps(claim.registry_record).encode()
    await probe.publish(stack.topic("registry.companies.v1"), [(claim.siren.encode(), record)])
    url = await stack.until_ready("gateway")
    connection = await asyncpg.connect(stack.database_urls["gateway"])
    try:
        async with connection.transaction():
            key = await portals.add_portal(
                connection, "privacy-portal", rate_limit_per_minute=None, now=dt.datetime.now(dt.UTC)
            )
    finally:
        await connection.close()
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        answer = await client.post(
            "/v1/claims", json=claim.event["claim"], headers={"Authorization": f"Bearer {key.api_key}"}
        )
    assert answer.status_code == 202, answer.text


def check_export(document: dict, person: Person, scan: list[Finding], others: list[Person]) -> None:
    assert document["complete"] is True, document.get("missing")
    text = "\n".join(strings_in(document))
    places = {
        (part["service"], r["store"].removeprefix("table ")) for part in document["parts"] for r in part["records"]
    }
    theirs = [f for f in scan if f.claim_id == person.claim_id]
    found_places = {tuple(f.place.split(".")[:2]) for f in theirs}
    assert found_places <= places, f"held but not exported: {sorted(found_places - places)}"
    assert person.labels_in(text) == {f.label for f in theirs}
    for other in others:
        assert not other.labels_in(text) and other.claim_id not in text, f"the export shows {other.claim_id}'s data"


async def settled_scan(stack, people: list[Person], master: MasterKey) -> list[Finding]:
    """The scan once two in a row agree: the services and the back-office's projection have caught up."""
    previous: list[Finding] | None = None
    for _ in range(30):
        keys = await held_keys(stack.database_urls, master)
        found = sorted(await scan_databases(stack.database_urls, people, keys), key=repr)
        if found == previous:
            return found
        previous = found
        await asyncio.sleep(1)
    raise AssertionError("the databases never settled")


async def until_erased(stack, expiring: list[Person], claims: dict) -> tuple[list[Finding], HeldKeys]:
    """Polls until every service announced its erasures, no service holds a live key of an expired claim, and the
    scan of databases and files finds nothing; then says what is left, if anything."""
    folders = [Path(stack.env["PAYMENTS_FILES_DIR"]), Path(stack.env["PAYMENTS_INBOUND_DIR"]), stack.logs]
    master = master_key_of(stack.env)
    expired = {p.claim_id for p in expiring}
    deadline = time.monotonic() + 90
    while True:
        keys = await held_keys(stack.database_urls, master)
        found = await scan_databases(stack.database_urls, expiring, keys) + scan_files(folders, expiring, keys)
        missing = missing_announcements(await announced(stack), claims)
        live = {key: sorted(services) for key, services in keys.live_in.items() if key[0] in expired}
        if (not found and not missing and not live) or time.monotonic() > deadline:
            assert not missing, f"erasures never announced: {sorted(missing)}"
            assert not live, f"keys of expired claims still live in: {live}"
            return found, keys
        await asyncio.sleep(2)


async def announced(stack) -> set[tuple[str, str, str]]:
    topic = stack.topic(topics.PRIVACY_ERASED.name)
    values = (await read_topics(stack.env["KAFKA_BOOTSTRAP_SERVERS"], [topic])).get(topic, [])
    return {(e["claim_id"], e["kind"], e["service"]) for e in map(json.loads, values)}


def missing_announcements(seen: set[tuple[str, str, str]], claims: dict) -> set[tuple[str, str, str]]:
    """Every service holding a kind of a registered claim announces its erasure; payments, the bank of a paid one.
    A refused claim was never registered: notifications' announcement of its contact is what starts its erasure."""
    expected = {(claims["refused"].claim_id, "contact", "notifications")}
    for role in ("exported", "paid", "rejected"):
        for kind in ("contact", "bank"):
            expected |= {
                (claims[role].claim_id, kind, s) for s in ("notifications", "intake", "eligibility", "backoffice")
            }
        if EXPECTED[role] == "paid":
            expected.add((claims[role].claim_id, "bank", "payments"))
        if role == "paid":  # posted over HTTP: the gateway erases what the portal posted
            expected |= {(claims[role].claim_id, kind, "gateway") for kind in ("contact", "bank")}
    return expected - seen


def topic_findings(stack, records: dict[str, list[bytes]], people: list[Person], keys: HeldKeys) -> list[Finding]:
    return [
        finding
        for topic, values in records.items()
        for value in values
        for finding in findings_in(
            topic.removeprefix(stack.topic_prefix), value.decode("utf-8", "replace"), people, keys
        )
    ]


def exempt(stack, finding: Finding, exported: Person) -> bool:
    """The export's own answers are the applicant's data in clear by design, on a topic kept a day
    (topics.ACCESS_RESPONSES_RETENTION_MS): the one applicant who asked is found there until then."""
    return (
        finding.claim_id == exported.claim_id and topics.original_topic(finding.place) == topics.ACCESS_RESPONSES.name
    )


def assert_keys_announced_destroyed(values: list[bytes], expiring: list[Person]) -> None:
    """The key topic is compacted: its latest record per subject is what stays; an expired claim's has no key left."""
    latest: dict[str, dict] = {}
    for value in values:
        record = json.loads(value)
        latest[record["subject"]] = {**latest.get(record["subject"], {}), **record["keys"]}
    for person in expiring:
        assert not any(latest.get(person.claim_id, {}).values()), f"{person.claim_id}'s keys are still announced"


async def until_statuses(probe, stack, expected: dict[str, str]) -> None:
    def latest(records) -> dict[str, str]:
        found = {}
        for record in records:
            value = json.loads(record.value)
            if value.get("claim_id") in expected:
                found[value["claim_id"]] = value["status"]
        return found

    records = await probe.read_until(stack.topic("claims.status.v1"), lambda rs: latest(rs) == expected, timeout_s=120)
    assert latest(records) == expected


async def rows_mentioning(database_url: str, *needles: str) -> list[str]:
    """Rows of any table of the database whose text holds every needle."""
    connection = await asyncpg.connect(database_url)
    try:
        tables = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        rows = []
        for table in tables:
            rows += [
                f"{table['tablename']}: {row['t']}"
                for row in await connection.fetch(f'SELECT t::text AS t FROM "{table["tablename"]}" t')
                if all(needle in row["t"] for needle in needles)
            ]
        return rows
    finally:
        await connection.close()


def figures(stack) -> dict:
    """What reconcile and the programme report say (both must succeed)."""
    said = {}
    for name, args in (("reconcile", ("reconcile", "--json")), ("report", ("report", "--json"))):
        done = stack.console(*args)
        assert done.returncode == 0, f"{name}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
        said[name] = json.loads(done.stdout)
    said["report"].pop("generated_at")
    return said


def start_finance(env: dict[str, str], log: Path) -> subprocess.Popen:
    """The bank's side on Kafka: settles every payment (a return would leave a claim short of paid)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "guichet_finance", "--kafka", "--return-every", "1000000000"],
            env=env,
            stdout=out,
            stderr=out,
        )
