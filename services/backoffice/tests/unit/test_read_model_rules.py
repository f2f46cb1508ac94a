"""The read model's few rules of its own: which payment state a claim status means, the latest event per key, and a
claim's story in time order."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from guichet_backoffice.domain import StatusChange, payment_move
from guichet_backoffice.repository import latest_by
from guichet_backoffice.timeline import timeline

NOW = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)


def change(status: str, payment_id: str | None = "P-1", minutes: int = 0) -> StatusChange:
    at = NOW + dt.timedelta(minutes=minutes)
    return StatusChange(uuid.uuid4(), "CLAIM-001", "p", "123456789", status, (), 100, payment_id, None, at)


def test_a_payment_status_moves_its_payment_and_other_statuses_do_not() -> None:
    assert [payment_move(change(s)).state for s in ("payment_scheduled", "payment_sent", "paid")] == [  # type: ignore[union-attr]
        "scheduled",
        "sent",
        "settled",
    ]
    assert payment_move(change("payment_returned")).state == "returned"  # type: ignore[union-attr]
    assert payment_move(change("rejected")).state == "released"  # type: ignore[union-attr]
    assert payment_move(change("rejected", payment_id=None)) is None  # eligibility's rejection: no payment
    assert payment_move(change("approved")) is None


def test_the_latest_event_of_each_key_is_kept_the_last_one_on_a_tie() -> None:
    first, second, tie = change("received", minutes=1), change("paid", minutes=5), change("paid", minutes=5)
    other = dataclasses.replace(change("approved"), claim_id="CLAIM-000")
    kept = latest_by([second, first, tie, other], lambda c: c.claim_id, lambda c: c.occurred_at)
    assert kept == [other, tie]  # by key


def test_a_claims_story_is_told_in_time_order_whatever_order_its_parts_arrived_in() -> None:
    claim = {"registered": True, "received_at": NOW}
    statuses = [
        {"occurred_at": NOW + dt.timedelta(minutes=9), "status": "paid", "reasons": [], "amount_cents": 150_000},
        {"occurred_at": NOW + dt.timedelta(minutes=1), "status": "received", "reasons": [], "amount_cents": None},
    ]
    judgements = [
        {
            "occurred_at": NOW + dt.timedelta(minutes=2),
            "status": "under_review",
            "rules": [{"code": "IBAN_SHARED", "passed": False}, {"code": "SIREN_ACTIVE", "passed": True}],
            "decided_by": None,
        }
    ]
    story = timeline(claim, statuses, judgements, [], [])
    assert [(e.kind, e.service) for e in story] == [
        ("registration", "intake"),
        ("status", "intake"),
        ("judgement", "eligibility"),
        ("status", "payments"),
    ]
    assert story[2].details == ("✗ IBAN_SHARED",)
    assert story[3].details == ("Montant : 1\u202f500,00 €",)
