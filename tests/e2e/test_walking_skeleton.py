"""A claim travels portal -> intake -> eligibility -> payments -> notifications on the real broker and database,
the services running as separate processes."""

from __future__ import annotations

import asyncio
import json
import mailbox
import time
import uuid
from pathlib import Path

import pytest

from guichet_common.contracts import EXAMPLES

pytestmark = pytest.mark.e2e


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def statuses_of(records, claim_id: str) -> list[str]:
    return [json.loads(r.value)["status"] for r in records if r.key == claim_id.encode()]


def story_of(records, claim_id: str) -> list[tuple[str, list[str]]]:
    """Each status with its reasons, so that a failing assertion says why the claim went elsewhere."""
    return [(v["status"], v["reasons"]) for v in (json.loads(r.value) for r in records if r.key == claim_id.encode())]


def mails_about(maildir: Path, claim_id: str) -> list:
    if not maildir.exists():
        return []
    return [m for m in mailbox.Maildir(maildir, create=False) if claim_id in m.get_payload(decode=True).decode()]


async def wait_for_mail(maildir: Path, claim_id: str, count: int, timeout_s: float = 30.0) -> list:
    deadline = time.monotonic() + timeout_s
    while len(found := mails_about(maildir, claim_id)) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return found


async def test_the_contract_example_is_received_approved_paid_once_and_mailed_once(stack, probe) -> None:
    registry, claim = example("registry.companies.v1"), example("claims.submitted.v1")
    claim_id = claim["claim"]["claim_id"]
    await probe.publish(
        stack.topic("registry.companies.v1"), [(registry["siren"].encode(), json.dumps(registry).encode())]
    )
    # The portal delivers the same event twice: the second copy must have no effect.
    submitted = json.dumps(claim).encode()
    await probe.publish(stack.topic("claims.submitted.v1"), [(b"642515712", submitted), (b"642515712", submitted)])

    statuses = await probe.read_until(
        stack.topic("claims.status.v1"), lambda rs: "payment_sent" in statuses_of(rs, claim_id)
    )
    assert story_of(statuses, claim_id) == [
        ("received", []),
        ("approved", []),
        ("payment_scheduled", []),
        ("payment_sent", []),
    ]
    approved = next(
        value
        for value in (json.loads(r.value) for r in statuses if r.key == claim_id.encode())
        if value["status"] == "approved"
    )
    assert approved["rule_version"] == "2021-01-28"

    issued = await probe.read_until(stack.topic("payments.issued.v1"), lambda rs: False, timeout_s=3)
    payments = [json.loads(r.value) for r in issued if json.loads(r.value)["claim_id"] == claim_id]
    assert len(payments) == 1
    assert payments[0]["amount_cents"] == 50_000 and payments[0]["end_to_end_id"] == payments[0]["payment_id"]

    mails = await wait_for_mail(stack.maildir, claim_id, 1)
    await asyncio.sleep(1.0)  # a duplicate, if any, would arrive right behind the first
    mails = mails_about(stack.maildir, claim_id)
    assert len(mails) == 1
    assert mails[0]["To"] == claim["claim"]["contact"]["email"]
    assert "500 €" in mails[0].get_payload(decode=True).decode()


async def test_a_malformed_message_is_dead_lettered_and_the_claims_behind_it_still_flow(stack, probe) -> None:
    good = example("claims.submitted.v1")
    good["event_id"] = str(uuid.uuid4())
    good["claim"]["claim_id"] = "CFN-E2E-" + uuid.uuid4().hex[:10]
    good["claim"]["applicant"]["siren"] = "732829320"  # valid, but absent from this run's registry
    good["claim"]["applicant"]["siret"] = "73282932000074"
    good["claim"]["bank_account"]["iban"] = "FR7630001007941234567890185"
    for invoice in good["claim"]["invoices"]:  # its own invoices: no INVOICE_REUSED with the example's
        invoice["invoice_number"] += "-POISON-TEST"
    key = b"732829320"
    # Same partition (same key), poison first: the good claim must not wait behind it.
    await probe.publish(
        stack.topic("claims.submitted.v1"),
        [(key, b"{not json"), (key, b"\xff\xfe binary"), (key, None), (key, json.dumps(good).encode())],
    )
    claim_id = good["claim"]["claim_id"]
    statuses = await probe.read_until(
        stack.topic("claims.status.v1"), lambda rs: "under_review" in statuses_of(rs, claim_id)
    )
    assert statuses_of(statuses, claim_id) == ["received", "under_review"]
    # Other tests of the session dead-letter records too: only those on this test's own key are its own.
    dead = await probe.read_until(
        stack.topic("claims.submitted.v1.dlq"), lambda rs: len([r for r in rs if r.key == key]) >= 3, timeout_s=10
    )
    dead = [r for r in dead if r.key == key]
    reasons = sorted(dict(r.headers)["dlq.reason"].decode() for r in dead)
    assert len(dead) == 3
    assert any("not JSON" in reason for reason in reasons)
    assert any("not UTF-8" in reason for reason in reasons)
    assert any("empty or null" in reason for reason in reasons)
    for process in stack.processes.values():
        assert process.poll() is None, "a service died"


async def test_a_schema_invalid_claim_is_refused_with_its_code(stack, probe) -> None:
    bad = example("claims.submitted.v1")
    bad["event_id"] = str(uuid.uuid4())
    bad["claim"]["claim_id"] = "CFN-E2E-" + uuid.uuid4().hex[:10]
    bad["claim"]["applicant"]["headcount"] = "three"
    await probe.publish(stack.topic("claims.submitted.v1"), [(b"642515712", json.dumps(bad).encode())])
    claim_id = bad["claim"]["claim_id"]
    statuses = await probe.read_until(
        stack.topic("claims.status.v1"), lambda rs: "refused" in statuses_of(rs, claim_id)
    )
    refused = [json.loads(r.value) for r in statuses if r.key == claim_id.encode()]
    assert [s["status"] for s in refused] == ["received", "refused"]
    assert refused[-1]["reasons"] == ["SCHEMA_INVALID"]


async def test_no_service_log_line_holds_the_applicants_personal_data(stack) -> None:
    """Runs after the claims above went through every service (and some through dead letters)."""
    claim = example("claims.submitted.v1")["claim"]
    logs = stack.log_text()
    assert "claim_registered" in logs and "email_sent" in logs  # the logs did record the journey
    for secret in (
        claim["bank_account"]["iban"],
        claim["contact"]["email"],
        claim["contact"]["full_name"],
        claim["bank_account"]["holder_name"],
    ):
        assert secret not in logs
