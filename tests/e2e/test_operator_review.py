"""Manual review end to end: a claim goes to review, an operator decides with the console command, and the
decision travels on: approved claims get paid, rejected ones are told why."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from guichet_common.contracts import EXAMPLES

pytestmark = pytest.mark.e2e


def claim_without_registry_record(siren: str, siret: str, iban: str) -> dict:
    event = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text(encoding="utf-8"))
    event["event_id"] = str(uuid.uuid4())
    event["claim"]["claim_id"] = "CFN-REVIEW-" + uuid.uuid4().hex[:10]
    event["claim"]["applicant"].update(siren=siren, siret=siret)
    event["claim"]["bank_account"]["iban"] = iban
    for invoice in event["claim"]["invoices"]:  # its own invoices: no INVOICE_REUSED with other tests' claims
        invoice["invoice_number"] += "-" + event["claim"]["claim_id"]
    return event


def operator(stack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "guichet_console", "review", *args],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def statuses_of(records, claim_id: str) -> list[tuple[str, list[str]]]:
    values = [json.loads(r.value) for r in records if r.key == claim_id.encode()]
    return [(v["status"], v["reasons"]) for v in values]


async def test_review_then_operator_approval_then_payment(stack, probe) -> None:
    event = claim_without_registry_record("642210199", "64221019900013", "FR7630006000011234567890189")
    claim_id = event["claim"]["claim_id"]
    await probe.publish(stack.topic("claims.submitted.v1"), [(b"642210199", json.dumps(event).encode())])
    status_topic = stack.topic("claims.status.v1")
    seen = await probe.read_until(
        status_topic, lambda rs: ("under_review", ["REGISTRY_NO_RECORD"]) in statuses_of(rs, claim_id)
    )
    assert statuses_of(seen, claim_id) == [("received", []), ("under_review", ["REGISTRY_NO_RECORD"])]

    listed = operator(stack, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert claim_id in [item["claim_id"] for item in json.loads(listed.stdout)]
    approved = operator(stack, "approve", claim_id, "--operator", "alice", "--reason", "Kbis checked")
    assert approved.returncode == 0, approved.stderr
    again = operator(stack, "reject", claim_id, "--operator", "bob", "--reason", "changed my mind")
    assert again.returncode == 1 and "final" in again.stderr

    seen = await probe.read_until(status_topic, lambda rs: ("payment_sent", []) in statuses_of(rs, claim_id))
    assert [s for s, _ in statuses_of(seen, claim_id)] == [
        "received",
        "under_review",
        "approved",
        "payment_scheduled",
        "payment_sent",
    ]


async def test_review_then_operator_rejection(stack, probe) -> None:
    event = claim_without_registry_record("611037532", "61103753200011", "FR7630004000031234567890143")
    claim_id = event["claim"]["claim_id"]
    await probe.publish(stack.topic("claims.submitted.v1"), [(b"611037532", json.dumps(event).encode())])
    status_topic = stack.topic("claims.status.v1")
    await probe.read_until(status_topic, lambda rs: any(s == "under_review" for s, _ in statuses_of(rs, claim_id)))
    rejected = operator(stack, "reject", claim_id, "--operator", "alice", "--reason", "company unknown at the RCS")
    assert rejected.returncode == 0, rejected.stderr
    seen = await probe.read_until(status_topic, lambda rs: any(s == "rejected" for s, _ in statuses_of(rs, claim_id)))
    assert statuses_of(seen, claim_id)[-1] == ("rejected", ["REJECTED_AFTER_REVIEW"])

    # The same queue through the stack's own console, with --json.
    shown = stack.console("review", "show", claim_id, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["status"] == "rejected"
    again = stack.console("review", "approve", claim_id, "--operator", "bob", "--reason", "x", "--json")
    assert again.returncode == 1 and "final" in again.stderr  # refused: exit code 1, nothing changed
    unknown = stack.console("review", "show", "CFN-REVIEW-NONE", "--json")
    assert unknown.returncode == 1 and "no claim" in unknown.stderr
    assert claim_id not in [item["claim_id"] for item in json.loads(stack.console("review", "list", "--json").stdout)]
