"""Manual review end to end: a claim goes to review, a caseworker decides with the console, which goes through the
back-office with her personal token (no database role), and the decision travels on: eligibility applies it and
answers with an outcome, approved claims get paid, rejected ones are told why."""

from __future__ import annotations

import json
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


UNDER_REVIEW = "SELECT 1 FROM claims WHERE claim_id = $1 AND status = 'under_review'"
DECIDED = "SELECT 1 FROM claims WHERE claim_id = $1 AND status NOT IN ('received', 'under_review')"


def statuses_of(records, claim_id: str) -> list[tuple[str, list[str]]]:
    values = [json.loads(r.value) for r in records if r.key == claim_id.encode()]
    return [(v["status"], v["reasons"]) for v in values]


async def test_review_then_approval_through_the_back_office_then_payment(stack, probe, backoffice) -> None:
    event = claim_without_registry_record("642210199", "64221019900013", "FR7630006000011234567890189")
    claim_id = event["claim"]["claim_id"]
    await probe.publish(stack.topic("claims.submitted.v1"), [(b"642210199", json.dumps(event).encode())])
    status_topic = stack.topic("claims.status.v1")
    seen = await probe.read_until(
        status_topic, lambda rs: ("under_review", ["REGISTRY_NO_RECORD"]) in statuses_of(rs, claim_id)
    )
    assert statuses_of(seen, claim_id) == [("received", []), ("under_review", ["REGISTRY_NO_RECORD"])]

    listed = stack.console("review", "list", "--json")  # a read: eligibility's database, as before
    assert listed.returncode == 0, listed.stderr
    assert claim_id in [item["claim_id"] for item in json.loads(listed.stdout)]
    await backoffice.until_projected(UNDER_REVIEW, claim_id)
    approved = backoffice.decide(stack.env, "case-worker", "review", "approve", claim_id, "--reason", "Kbis checked")
    assert (approved["state"], approved["requested_by"], approved["target"]) == ("complete", "case-worker", claim_id)
    outcome = await backoffice.outcome(probe, stack, approved["command_id"])
    assert (outcome["service"], outcome["outcome"]) == ("eligibility", "applied"), outcome

    seen = await probe.read_until(status_topic, lambda rs: ("payment_sent", []) in statuses_of(rs, claim_id))
    assert [s for s, _ in statuses_of(seen, claim_id)] == [
        "received",
        "under_review",
        "approved",
        "payment_scheduled",
        "payment_sent",
    ]
    await backoffice.until_projected(DECIDED, claim_id)
    again = backoffice.console(stack.env, "case-worker", "review", "reject", claim_id, "--reason", "changed my mind")
    assert again.returncode == 1 and "refused" in again.stderr, again.stderr


async def test_review_then_rejection_through_the_back_office(stack, probe, backoffice) -> None:
    event = claim_without_registry_record("611037532", "61103753200011", "FR7630004000031234567890143")
    claim_id = event["claim"]["claim_id"]
    await probe.publish(stack.topic("claims.submitted.v1"), [(b"611037532", json.dumps(event).encode())])
    status_topic = stack.topic("claims.status.v1")
    await probe.read_until(status_topic, lambda rs: any(s == "under_review" for s, _ in statuses_of(rs, claim_id)))
    await backoffice.until_projected(UNDER_REVIEW, claim_id)
    reject = ("review", "reject", claim_id, "--reason", "company unknown at the RCS")
    rejected = backoffice.console(stack.env, "case-worker", *reject)
    assert rejected.returncode == 0, rejected.stderr
    assert "complete (case-worker)" in rejected.stdout and "sent to eligibility" in rejected.stdout
    seen = await probe.read_until(status_topic, lambda rs: any(s == "rejected" for s, _ in statuses_of(rs, claim_id)))
    assert statuses_of(seen, claim_id)[-1] == ("rejected", ["REJECTED_AFTER_REVIEW"])

    shown = stack.console("review", "show", claim_id, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["status"] == "rejected"
    await backoffice.until_projected(DECIDED, claim_id)
    again = backoffice.console(stack.env, "case-worker", "review", "approve", claim_id, "--reason", "x", "--json")
    assert again.returncode == 1 and "refused" in again.stderr  # refused: exit code 1, nothing changed
    unknown = stack.console("review", "show", "CFN-REVIEW-NONE", "--json")
    assert unknown.returncode == 1 and "no claim" in unknown.stderr
    assert claim_id not in [item["claim_id"] for item in json.loads(stack.console("review", "list", "--json").stdout)]


async def test_a_decision_needs_a_real_token_and_names_no_operator(stack, backoffice) -> None:
    """Anybody could be anybody with `--operator alice`: now the token's account decides, and without a valid token
    nothing is decided. The console needs no database for it (no *_DATABASE_URL at all here)."""
    without_databases = {k: v for k, v in stack.env.items() if not k.endswith("_DATABASE_URL")}
    wrong = {**backoffice.console_env(without_databases, "case-worker"), "GUICHET_TOKEN": "gbo_not-a-real-token"}
    refused = stack.console("review", "approve", "CFN-REVIEW-ANY", "--reason", "x", env=wrong)
    assert refused.returncode == 1 and "refused (token missing, unknown or revoked)" in refused.stderr
    named = backoffice.console(
        without_databases, "case-worker", "review", "approve", "CFN-REVIEW-ANY", "--operator", "alice", "--reason", "x"
    )
    assert named.returncode == 2 and "is gone" in named.stderr
    nothing_under_review = backoffice.console(
        without_databases, "case-worker", "review", "approve", "CFN-REVIEW-NONE", "--reason", "x"
    )
    assert nothing_under_review.returncode == 1 and "refused" in nothing_under_review.stderr
