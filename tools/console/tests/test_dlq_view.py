"""`guichet dlq` without I/O: ids as typed, masking of what `show` prints, the JSON shapes."""

import datetime as dt
import json

import pytest

from guichet_console import dlq_view
from guichet_console.dead_letters import DeadLetter, DeadLetterAction, DeadLetterId

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
EMAIL, IBAN, NAME = "claire.martin@example.fr", "FR7693233145437431125912957", "Claire Martin"
PAYLOAD = {
    "event_id": "3f1c",
    "claim": {
        "claim_id": "x",
        "contact": {"email": EMAIL, "full_name": NAME},
        "bank_account": {"iban": IBAN, "holder_name": NAME},
        "notes": [f"write to {EMAIL}"],
    },
}
DEAD = DeadLetter(
    DeadLetterId("p.claims.submitted.v1.dlq", 1, 4),
    b"642515712",
    json.dumps(PAYLOAD).encode(),
    (
        ("dlq.reason", b"SCHEMA_INVALID without a usable claim_id"),
        ("dlq.original.topic", b"p.claims.submitted.v1"),
        ("dlq.original.partition", b"2"),
        ("dlq.original.offset", b"9"),
        ("dlq.attempts", b"1"),
        ("x-contact", EMAIL.encode()),
    ),
    timestamp_ms=int((NOW - dt.timedelta(minutes=3, seconds=5)).timestamp() * 1000),
)


def test_an_id_is_accepted_with_or_without_the_deployments_prefix_and_shown_without() -> None:
    expected = DeadLetterId("p.claims.submitted.v1.dlq", 1, 4)
    assert dlq_view.parse_id("claims.submitted.v1.dlq:1:4", "p.") == expected
    assert dlq_view.parse_id("p.claims.submitted.v1.dlq:1:4", "p.") == expected
    assert dlq_view.display_id(expected, "p.") == "claims.submitted.v1.dlq:1:4"
    with pytest.raises(ValueError):
        dlq_view.parse_id("claims.submitted.v1:1:4", "p.")


@pytest.mark.parametrize("typed", ["claims.status.v1", "claims.status.v1.dlq", "p.claims.status.v1.dlq"])
def test_a_topic_filter_means_the_original_topic_however_it_is_typed(typed: str) -> None:
    assert dlq_view.topic_filter(typed, "p.") == "claims.status.v1"


def test_the_payload_is_masked_at_any_depth() -> None:
    masked = dlq_view.payload(DEAD.value)
    text = json.dumps(masked)
    assert EMAIL not in text and IBAN not in text and NAME not in text
    assert masked["claim"]["claim_id"] == "x" and masked["claim"]["contact"]["email"] == "***"


def test_a_value_that_is_not_json_is_shown_as_text_still_masked() -> None:
    assert dlq_view.payload(f"not json {EMAIL}".encode()) == "not json ***@***"
    assert dlq_view.payload(b"\xff\xfe") == "\ufffd\ufffd"
    assert dlq_view.payload(None) is None


def test_show_as_json_has_the_summary_keys_then_key_headers_and_payload_masked() -> None:
    action = DeadLetterAction(DEAD.id, "replayed", "alice", "claim_id fixed", NOW)
    shown = dlq_view.detail_json(DEAD, action, True, "p.", NOW)
    assert {k: shown[k] for k in ("id", "topic", "original", "attempts", "age", "state", "operator")} == {
        "id": "claims.submitted.v1.dlq:1:4",
        "topic": "claims.submitted.v1.dlq",
        "original": "claims.submitted.v1:2:9",
        "attempts": 1,
        "age": "3m 5s",
        "state": "replayed",
        "operator": "alice",
    }
    assert ["x-contact", "***@***"] in shown["headers"]
    assert EMAIL not in json.dumps(shown)


def test_the_state_says_who_acted_or_that_nobody_could_tell() -> None:
    action = DeadLetterAction(DEAD.id, "discarded", "bob", "noise", NOW)
    assert dlq_view.state_text(action, True) == "discarded by bob"
    assert (dlq_view.state_of(None, True), dlq_view.state_of(None, False)) == ("waiting", "unknown")
    assert dlq_view.summary_json(DEAD, None, False, "p.", NOW)["state"] == "unknown"


def test_ages_read_at_a_glance() -> None:
    ago = lambda **delta: int((NOW - dt.timedelta(**delta)).timestamp() * 1000)  # noqa: E731
    assert [dlq_view.age(ago(**d), NOW) for d in ({"seconds": 9}, {"hours": 2, "minutes": 5}, {"days": 3})] == [
        "9s",
        "2h 5m",
        "3d 0h",
    ]
