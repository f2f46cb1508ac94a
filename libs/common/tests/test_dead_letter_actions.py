"""Dead-letter ids and the replayed record; the table and the one-action rule are in
integration/test_dead_letter_actions_db.py.

The console reads dead letters and parses their ids; the replayed record is built by the owning service when it
applies the back-office's command."""

import pytest

from guichet_common.dead_letter_actions import REPLAY_HEADER, DeadLetter, DeadLetterId, NotReplayable, replay_message
from guichet_common.records import InboundRecord, dead_letter


def test_an_id_reads_back_as_it_was_written_even_with_dots_and_colons_before_it() -> None:
    written = DeadLetterId("e2e-ab12.claims.submitted.v1.dlq", 2, 17)
    assert DeadLetterId.parse(str(written)) == written
    assert DeadLetterId.parse("a:b.dlq:0:3") == DeadLetterId("a:b.dlq", 0, 3)


@pytest.mark.parametrize(
    "text",
    ["claims.submitted.v1:0:3", "claims.submitted.v1.dlq:0", "claims.submitted.v1.dlq:x:3", "t.dlq:-1:3", ""],
)
def test_anything_but_a_dlq_topic_partition_and_offset_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        DeadLetterId.parse(text)


def _dead(record: InboundRecord, reason: str = "schema: claim_id: too short") -> DeadLetter:
    message = dead_letter(record, reason, attempts=3)
    return DeadLetter(DeadLetterId(message.topic, 1, 40), message.key, message.value, tuple(message.headers), 0)


def test_a_replay_is_the_original_record_without_dlq_headers_and_naming_its_dead_letter() -> None:
    original = InboundRecord("p.claims.submitted.v1", 2, 9, b"642515712", b'{"a": 1}', (("traceparent", b"00-ab"),))
    dead = _dead(original)
    assert (dead.reason, dead.attempts, dead.original_coordinates) == (
        "schema: claim_id: too short",
        3,
        "p.claims.submitted.v1:2:9",
    )
    message = replay_message(dead)
    # To the replay topic its owner may write (the original topic is its producers'), not the original topic.
    assert (message.topic, message.key, message.value) == ("p.claims.submitted.v1.replay", b"642515712", b'{"a": 1}')
    assert list(message.headers) == [("traceparent", b"00-ab"), (REPLAY_HEADER, b"p.claims.submitted.v1.dlq:1:40")]


def test_a_replay_of_a_replay_names_only_the_latest_dead_letter() -> None:
    replayed = InboundRecord("t.replay", 0, 5, None, b"{}", ((REPLAY_HEADER, b"t.dlq:0:1"),))
    dead = _dead(replayed)
    message = replay_message(dead)
    assert [value for name, value in message.headers if name == REPLAY_HEADER] == [b"t.dlq:1:40"]
    # A replayed record that fails again joins the original's dead letters, and goes back to the same replay topic.
    assert (dead.id.topic, dead.original_coordinates, message.topic) == ("t.dlq", "t.replay:0:5", "t.replay")


def test_a_truncated_or_empty_dead_letter_is_not_replayable() -> None:
    with pytest.raises(NotReplayable, match="truncated"):
        replay_message(_dead(InboundRecord("t", 0, 1, None, b"x" * 300_000)))
    empty = DeadLetter(DeadLetterId("t.dlq", 0, 0), None, None)
    with pytest.raises(NotReplayable):
        replay_message(empty)
