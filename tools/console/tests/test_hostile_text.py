"""What the console prints from outside (a dead letter's headers and payload, a claim's programme, a review reason,
an e-mail's last error) is shown, never obeyed: no terminal escape, no forged line, no reversed text, no markup.

The commands run through typer's runner with their readers replaced, so each test sees what an operator would.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from guichet_console import cli, dlq_ops, dlq_view, trace
from guichet_console.backoffice_api import Backoffice
from guichet_console.connect import Stack
from guichet_console.dead_letters import DeadLetter, DeadLetterId
from guichet_console.report_format import json_text, outside
from guichet_console.trace_collect import ClaimHistory

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
ESC, RLO, LS = "\x1b[2J\x1b[31m", "\u202e", "\u2028"
HOSTILE = f"[/bold][red]{ESC}évil{RLO}txt.exe{LS}forged line\r\nok\x00end\x9b"
# What must never reach the terminal raw: ESC, CSI (C1), CR, NUL, line separator, bidi override.
RAW = ("\x1b", "\x9b", "\r", "\x00", LS, RLO)
EMAIL = "claire.martin@example.fr"
STACK = Stack("127.0.0.1:1", "", {})
runner = CliRunner()


def invoke(*args: str):
    # color=True: click would otherwise strip ANSI sequences off a pipe, and hide what a terminal would receive.
    result = runner.invoke(cli.app, list(args), env={"COLUMNS": "400"}, color=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def assert_shown_not_obeyed(output: str) -> None:
    found = [char for char in RAW if char in output]
    assert not found, f"raw {found!r} in {output!r}"


def dead_letter() -> DeadLetter:
    return DeadLetter(
        DeadLetterId("claims.submitted.v1.dlq", 0, 3),
        f"key{ESC}".encode(),
        f"not json {HOSTILE} {EMAIL}".encode() + b"\xff",
        (
            ("dlq.reason", f"SCHEMA_INVALID {HOSTILE}".encode()),
            ("dlq.original.topic", b"claims.submitted.v1"),
            ("dlq.original.partition", b"0"),
            ("dlq.original.offset", b"3"),
            ("dlq.attempts", b"1"),
            (f"x-{ESC}name", f"{EMAIL}{ESC}".encode()),
            ("x-null", None),
        ),
        timestamp_ms=int(NOW.timestamp() * 1000),
    )


@pytest.fixture
def dead_letters(monkeypatch: pytest.MonkeyPatch) -> DeadLetter:
    dead = dead_letter()

    async def listed(stack, topic=None):
        return [dlq_ops.Listed(dead, None, True)]

    async def find(stack, dead_letter_id):
        return dlq_ops.Listed(dead, None, True)

    monkeypatch.setattr("guichet_console.dlq.current_stack", lambda: STACK)
    monkeypatch.setattr(dlq_ops, "list_dead_letters", listed)
    monkeypatch.setattr(dlq_ops, "find", find)
    return dead


def test_dlq_list_shows_a_reason_with_markup_and_escapes_without_obeying_either(dead_letters) -> None:
    result = invoke("dlq", "list")
    assert result.exit_code == 0, result.output
    assert "[/bold][red]" in result.output  # shown as typed, not read as rich markup
    assert "\\x1b[2J" in result.output
    assert_shown_not_obeyed(result.output)


def test_dlq_show_escapes_headers_key_and_a_payload_that_is_not_json_and_still_masks(dead_letters) -> None:
    result = invoke("dlq", "show", "claims.submitted.v1.dlq:0:3")
    assert result.exit_code == 0, result.output
    assert_shown_not_obeyed(result.output)
    assert EMAIL not in result.output
    assert "    x-\\x1b[2J\\x1b[31mname: ***@***\\x1b[2J\\x1b[31m" in result.output
    assert "    x-null: (null)" in result.output
    assert "\\xff" in result.output  # bytes that are not UTF-8 are named, not replaced


@pytest.fixture
def unmasked_by_the_back_office(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`dlq show --unmasked` reads the back-office's API: its answer, as hostile as the record it copies."""
    asked: list[str] = []
    answer = {
        "id": "claims.submitted.v1.dlq:0:3",
        "service": "intake",
        "original_topic": "claims.submitted.v1",
        "original_partition": 0,
        "original_offset": 3,
        "reason": f"SCHEMA_INVALID {HOSTILE}",
        "attempts": 1,
        "dead_lettered_at": NOW.isoformat(),
        "state": "waiting",
        "acted_by": None,
        "acted_at": None,
        "key": f"key{ESC}",
        "headers": [[f"x-{ESC}name", f"{EMAIL}{ESC}"], ["x-null", ""]],
        "payload": f"not json {HOSTILE} {EMAIL}\\xff",
        "unmasked": True,
    }

    class Answering:
        def get(self, path: str) -> dict:
            asked.append(path)
            return answer

    monkeypatch.setattr(Backoffice, "from_environment", classmethod(lambda cls, token: Answering()))
    return asked


def test_dlq_show_unmasked_escapes_what_the_back_office_answers(unmasked_by_the_back_office) -> None:
    unmasked = invoke("dlq", "show", "claims.submitted.v1.dlq:0:3", "--unmasked")
    assert unmasked.exit_code == 0, unmasked.output
    assert EMAIL in unmasked.output and "\\xff" in unmasked.output
    assert_shown_not_obeyed(unmasked.output)
    assert unmasked_by_the_back_office == ["dead-letters/claims.submitted.v1.dlq%3A0%3A3?unmasked=1"]


def test_dlq_show_json_keeps_the_data_and_leaves_nothing_raw(unmasked_by_the_back_office) -> None:
    result = invoke("dlq", "show", "claims.submitted.v1.dlq:0:3", "--json", "--unmasked")
    assert result.exit_code == 0, result.output
    assert_shown_not_obeyed(result.output)
    document = json.loads(result.stdout)
    assert HOSTILE in document["payload"] and ["x-null", ""] in document["headers"]


def test_a_json_payload_is_laid_out_with_its_strings_escaped() -> None:
    dead = DeadLetter(DeadLetterId("claims.submitted.v1.dlq", 0, 4), None, json.dumps({"note": HOSTILE}).encode())
    detail = dlq_view.detail_json(dead, None, True, "", NOW)
    lines = dlq_view.show_lines(dead, detail, "waiting")
    assert_shown_not_obeyed("\n".join(lines))
    assert json.loads(lines[-1]) == {"note": HOSTILE.replace(EMAIL, "***@***")}


def history() -> ClaimHistory:
    at = NOW - dt.timedelta(hours=1)
    return ClaimHistory(
        claim_id=f"CFN-{ESC}",
        intake={
            "registration": None,
            "refusals": [{"refused_at": at, "codes": ["SCHEMA_INVALID"], "details": [f"programme: {HOSTILE}"]}],
        },
        eligibility={
            "submitted_at": at,
            "programme": HOSTILE,
            "received_at": at,
            "decided_at": None,
            "status": "under_review",
            "reviewed_at": at,
            "review_decision": "approved",
            "review_operator": f"alice{ESC}",
            "review_reason": HOSTILE,
        },
        emails=[
            {
                "kind": "refused",
                "state": "failed",
                "attempts": 1,
                "last_error": HOSTILE,
                "amount_cents": None,
                "created_at": at,
                "sent_at": None,
            }
        ],
    )


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> None:
    async def collect(stack, claim_id):
        return history()

    monkeypatch.setattr(trace, "current_stack", lambda: STACK)
    monkeypatch.setattr(trace, "collect", collect)


def test_trace_shows_hostile_programme_reason_and_error_escaped(traced) -> None:
    result = invoke("trace", f"CFN-{ESC}")
    assert result.exit_code == 0, result.output
    assert_shown_not_obeyed(result.output)
    assert "[/bold][red]" in result.output and "\\x1b[2J" in result.output
    assert "E-mail « refused » mis de côté" in result.output


def test_trace_json_keeps_the_data_and_leaves_nothing_raw(traced) -> None:
    result = invoke("trace", f"CFN-{ESC}", "--json")
    assert result.exit_code == 0, result.output
    assert_shown_not_obeyed(result.output)
    assert json.loads(result.output)["claim_id"] == f"CFN-{ESC}"


def test_an_unknown_claim_is_named_escaped_on_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    async def collect(stack, claim_id):
        return ClaimHistory(claim_id)

    monkeypatch.setattr(trace, "current_stack", lambda: STACK)
    monkeypatch.setattr(trace, "collect", collect)
    result = invoke("trace", f"CFN-{ESC}")
    assert result.exit_code == 1
    assert_shown_not_obeyed(result.output)


@pytest.mark.parametrize("text", [HOSTILE, "\ud800", "\u2066isolate\u2069", "\ufeffbom\u200b"])
def test_json_text_is_the_same_data_with_nothing_raw(text: str) -> None:
    rendered = json_text({"value": text, "list": [text]})
    assert_shown_not_obeyed(rendered)
    assert json.loads(rendered) == {"value": text, "list": [text]}
    assert "évil" in json_text(HOSTILE)  # accents stay readable


def test_outside_text_keeps_ordinary_text_and_escapes_the_rest() -> None:
    assert outside("Chèque France Num 2021 – 500 €") == "Chèque France Num 2021 – 500 €"
    assert outside("a\r\nb\x00\u2028\u202e") == "a\\x0d\\x0ab\\x00\\u2028\\u202e"
    assert outside(None) == ""
