"""Intake as a process on the real broker with two Kafka portals (GUICHET_KAFKA_PORTALS=alpha,beta): a claim on
beta's door is beta's, so one naming alpha is refused SOURCE_MISMATCH under beta's name, and the shared
claims.submitted.v1 may not use a Kafka portal's name either; beta's own claim on its door is received (issue 17).
On the secured broker, beta's principal may write nothing but its door (tests/security/test_portal_principals.py)."""

from __future__ import annotations

import copy
import json
import uuid

import pytest

from guichet_common.contracts import EXAMPLES

pytestmark = pytest.mark.e2e
EXAMPLE = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text(encoding="utf-8"))
BETA_DOOR = "portals.beta.claims.submitted.v1"


def claim(source: str) -> dict:
    event = copy.deepcopy(EXAMPLE)
    event["event_id"] = str(uuid.uuid4())
    event["source"] = source
    event["claim"]["claim_id"] = f"CFN-DOOR-{uuid.uuid4().hex[:8]}"
    return event


@pytest.mark.timeout(150)
async def test_a_portal_s_door_carries_only_its_own_claims(intake_with_kafka_portals, probe) -> None:
    prefix = intake_with_kafka_portals.prefix
    impostor_on_beta, impostor_on_shared, genuine = claim("alpha"), claim("alpha"), claim("beta")
    key = EXAMPLE["claim"]["applicant"]["siren"].encode()
    await probe.publish(prefix + BETA_DOOR, [(key, json.dumps(e).encode()) for e in (impostor_on_beta, genuine)])
    await probe.publish(prefix + "claims.submitted.v1", [(key, json.dumps(impostor_on_shared).encode())])
    wanted = {e["claim"]["claim_id"]: e for e in (impostor_on_beta, impostor_on_shared, genuine)}

    def last_statuses(records) -> dict[str, tuple[str, list[str], str | None]]:
        last = {}
        for record in records:
            value = json.loads(record.value)
            if value["claim_id"] in wanted:
                last[value["claim_id"]] = (value["status"], value["reasons"], value.get("source"))
        return last

    def finished(records) -> bool:
        last = last_statuses(records)
        return len(last) == 3 and all(
            status != "received"
            for status, *_ in (last[c["claim"]["claim_id"]] for c in (impostor_on_beta, impostor_on_shared))
        )

    records = await probe.read_until(prefix + "claims.status.v1", finished, timeout_s=120)
    last = last_statuses(records)
    assert last[impostor_on_beta["claim"]["claim_id"]] == ("refused", ["SOURCE_MISMATCH"], "beta")
    assert last[impostor_on_shared["claim"]["claim_id"]] == ("refused", ["SOURCE_MISMATCH"], None)
    assert last[genuine["claim"]["claim_id"]] == ("received", [], "beta")
    registered = await probe.read_until(prefix + "intake.claims-registered.v1", lambda rs: bool(rs), timeout_s=30)
    assert [json.loads(r.value)["claim"]["claim_id"] for r in registered] == [genuine["claim"]["claim_id"]]
