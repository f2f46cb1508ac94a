"""The judgement eligibility publishes for the back-office's read model (`eligibility.judgements.v1`, JudgementV1):
every decision on a claim, by the rules or by a person, with every rule's result and the values it looked at.

Written straight to JSON with orjson instead of through the pydantic model: the rules' results are a dozen nested
objects per claim, which pydantic validated and dumped in 70 µs a claim (about half of judging it), orjson in 20.
The values come from a claim and a decision already validated; tests/unit/test_judgements.py reads what this
writes back through JudgementV1.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from guichet_common.contracts.backoffice import JUDGEMENTS_TOPIC
from guichet_common.outbox import OutboxMessage


def judgement_message(
    topic_prefix: str,
    *,
    claim_id: str,
    programme: str,
    siren: str,
    status: str,
    rule_version: str,
    reasons: Sequence[str],
    rules: Iterable[Mapping[str, Any]],
    grant_cents: int | None,
    now: datetime,
    decided_by: str | None = None,
) -> OutboxMessage:
    """One JudgementV1, keyed by the claim. `rules`: each rule's record as stored with the decision
    (`RuleResult.as_record`: code, passed, observed, plus sends_to_review, which the contract ignores).
    `grant_cents`: what an approval pays; left out when None or 0 (nothing granted)."""
    event: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "occurred_at": now,
        "claim_id": claim_id,
        "programme": programme,
        "siren": siren,
        "status": status,
        "rule_version": rule_version,
        "reasons": reasons,
        "rules": rules if isinstance(rules, list) else list(rules),
    }
    if grant_cents:
        event["grant_amount_cents"] = grant_cents
    if decided_by is not None:
        event["decided_by"] = decided_by
    return OutboxMessage(topic_prefix + JUDGEMENTS_TOPIC, claim_id.encode(), orjson.dumps(event))
