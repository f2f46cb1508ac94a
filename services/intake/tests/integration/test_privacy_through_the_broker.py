"""Intake as a process on the real broker: a claim from a Kafka portal's door leaves intake sealed, its keys announced
first; notifications' erasure of its contact comes back as the contact key announced null and intake's own erasure,
which the other services follow (issue 18)."""

from __future__ import annotations

import copy
import json
import uuid

import pytest

from guichet_common.contracts import EXAMPLES
from guichet_common.privacy.sealing import is_sealed

pytestmark = pytest.mark.e2e
EXAMPLE = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text(encoding="utf-8"))
PERSONAL = (EXAMPLE["claim"]["contact"]["email"], EXAMPLE["claim"]["contact"]["full_name"], "FR7693233145437431")


def of_claim(claim_id: str):
    return lambda records: [json.loads(r.value) for r in records if claim_id.encode() in (r.value or b"")]


@pytest.mark.timeout(150)
async def test_a_portal_claim_is_sealed_and_notifications_erasure_is_followed(intake_with_kafka_portals, probe) -> None:
    prefix = intake_with_kafka_portals.prefix
    event = copy.deepcopy(EXAMPLE)
    event.update(event_id=str(uuid.uuid4()), source="beta")
    claim_id = event["claim"]["claim_id"] = f"CFN-PRIV-{uuid.uuid4().hex[:8]}"
    await probe.publish(prefix + "portals.beta.claims.submitted.v1", [(b"642515712", json.dumps(event).encode())])
    mine = of_claim(claim_id)

    registered = await probe.read_until(prefix + "intake.claims-registered.v1", mine, timeout_s=120)
    contacts = await probe.read_until(prefix + "intake.applicant-contacts.v1", mine, timeout_s=30)
    keys = await probe.read_until(prefix + "privacy.claim-keys.v1", mine, timeout_s=30)
    [claim] = [r["claim"] for r in mine(registered)]
    assert all(is_sealed(v) for v in [*claim["contact"].values(), *claim["bank_account"].values()])
    assert is_sealed(mine(contacts)[0]["email"])
    assert set(mine(keys)[0]["keys"]) == {"contact", "bank"}
    written = json.dumps([mine(registered), mine(contacts)])
    assert not any(value in written for value in PERSONAL)

    erasure = {
        "event_id": str(uuid.uuid4()),
        "occurred_at": "2024-03-01T11:00:00Z",
        "claim_id": claim_id,
        "kind": "contact",
        "service": "notifications",
        "reason": "retention",
        "erased_at": "2024-03-01T11:00:00Z",
    }
    await probe.publish(prefix + "privacy.erased.v1", [(claim_id.encode(), json.dumps(erasure).encode())])
    followed = await probe.read_until(
        prefix + "privacy.erased.v1", lambda rs: any(e["service"] == "intake" for e in mine(rs)), timeout_s=60
    )
    [announced] = [e for e in mine(followed) if e["service"] == "intake"]
    assert (announced["kind"], announced["reason"]) == ("contact", "retention")
    keys = await probe.read_until(prefix + "privacy.claim-keys.v1", lambda rs: len(mine(rs)) == 2, timeout_s=30)
    assert mine(keys)[-1]["keys"]["contact"] is None and mine(keys)[-1]["keys"]["bank"]
