"""The console's write commands go through the back-office's API with a personal token, and never open a database
connection: no <SERVICE>_DATABASE_URL, no broker, a launcher state with nothing in it, and every way of connecting to
PostgreSQL or starting the local stack made to fail. A fake back-office on a local port answers them.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import asyncpg
import pytest
from typer.testing import CliRunner

from guichet_console import cli

runner = CliRunner()
TOKEN = "gbo_test-token-of-alice"
COMMAND_ID, DECISION_ID = str(uuid.uuid4()), str(uuid.uuid4())


def decision(action: str, target: str, state: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": DECISION_ID,
        "action": action,
        "service": extra.pop("service", "eligibility"),
        "target": target,
        "kind": extra.pop("kind", None),
        "codes": [],
        "reason": "checked",
        "state": state,
        "requested_by": "alice",
        "requested_at": "2026-12-03T08:00:00+00:00",
        "seconded_by": extra.pop("seconded_by", None),
        "command_id": COMMAND_ID if state == "complete" else None,
    }


class FakeBackoffice(BaseHTTPRequestHandler):
    answers: ClassVar[dict[tuple[str, str], tuple[int, Any]]] = {}
    seen: ClassVar[list[tuple[str, str, str | None, Any]]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.seen.append((self.command, self.path, self.headers.get("authorization"), body))
        status, document = self.answers.get((self.command, self.path), (404, "Not Found"))
        payload = document.encode() if isinstance(document, str) else json.dumps(document).encode()
        self.send_response(status)
        self.send_header("content-type", "text/plain" if isinstance(document, str) else "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def backoffice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[type[FakeBackoffice]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeBackoffice)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeBackoffice.answers, FakeBackoffice.seen = {}, []
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "GUICHET_TOPIC_PREFIX", "GUICHET_TOKEN", "BACKOFFICE_URL"):
        monkeypatch.delenv(name, raising=False)
    for service in ("intake", "eligibility", "payments", "notifications", "backoffice"):
        monkeypatch.delenv(f"{service.upper()}_DATABASE_URL", raising=False)
    monkeypatch.setenv("GUICHET_STATE_DIR", str(tmp_path / "no-stack-here"))
    monkeypatch.setenv("BACKOFFICE_URL", f"http://127.0.0.1:{server.server_port}/")

    def no_database(*args: object, **kwargs: object) -> None:
        raise AssertionError("a write command opened a database connection or started the stack")

    monkeypatch.setattr(asyncpg, "connect", no_database)
    monkeypatch.setattr(asyncpg, "create_pool", no_database)
    monkeypatch.setattr("guichet_common.db.create_pool", no_database)
    monkeypatch.setattr("guichet_deploy.infra.ensure_infra", no_database)
    for module in ("review", "dlq", "set_aside"):
        monkeypatch.setattr(f"guichet_console.{module}.current_stack", no_database)
    yield FakeBackoffice
    server.shutdown()
    server.server_close()


def invoke(*args: str, token: str | None = TOKEN):
    result = runner.invoke(cli.app, [*args, *(["--token", token] if token else [])], env={"COLUMNS": "200"})
    assert not isinstance(result.exception, AssertionError), result.exception
    return result


def test_an_approval_is_posted_with_the_token_and_prints_the_command_sent(backoffice) -> None:
    approved = decision("review_approve", "CFN-1", "complete")
    backoffice.answers[("POST", "/api/v1/review/CFN-1/approve")] = (200, approved)
    result = invoke("review", "approve", "CFN-1", "--reason", "Kbis checked")
    assert result.exit_code == 0, result.output
    assert backoffice.seen == [("POST", "/api/v1/review/CFN-1/approve", f"Bearer {TOKEN}", {"reason": "Kbis checked"})]
    assert "complete (alice)" in result.output and f"command {COMMAND_ID} sent to eligibility" in result.output


def test_a_replay_waits_for_a_second_person_and_says_how_to_second_it(backoffice, monkeypatch) -> None:
    monkeypatch.setenv("GUICHET_TOPIC_PREFIX", "p.")
    path = "/api/v1/dead-letters/p.claims.submitted.v1.dlq%3A2%3A7/replay"
    pending = decision("dead_letter_replay", "p.claims.submitted.v1.dlq:2:7", "pending", service="intake")
    backoffice.answers[("POST", path)] = (200, pending)
    result = invoke("dlq", "replay", "claims.submitted.v1.dlq:2:7", "--reason", "fixed upstream")
    assert result.exit_code == 0, result.output
    assert [seen[:2] for seen in backoffice.seen] == [("POST", path)]
    assert "waiting for a second person" in result.output and f"guichet decisions second {DECISION_ID}" in result.output


def test_the_token_may_come_from_the_environment_and_json_prints_the_decision(backoffice, monkeypatch) -> None:
    monkeypatch.setenv("GUICHET_TOKEN", TOKEN)
    answer = decision("dead_letter_discard", "claims.submitted.v1.dlq:0:1", "complete", service="intake")
    backoffice.answers[("POST", "/api/v1/dead-letters/claims.submitted.v1.dlq%3A0%3A1/discard")] = (200, answer)
    result = invoke("dlq", "discard", "claims.submitted.v1.dlq:0:1", "--reason", "noise", "--json", token=None)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == answer


def letter(**extra: Any) -> dict[str, Any]:
    """The back-office's answer to GET /api/v1/dead-letters/{id}?unmasked=1."""
    return {
        "id": "p.claims.submitted.v1.dlq:2:7",
        "service": "intake",
        "original_topic": "p.claims.submitted.v1",
        "original_partition": 1,
        "original_offset": 40,
        "reason": "SCHEMA_INVALID claim_id too short",
        "attempts": 1,
        "dead_lettered_at": "2026-12-03T07:00:00+00:00",
        "state": "replayed",
        "acted_by": "alice",
        "acted_at": "2026-12-03T07:30:00+00:00",
        "key": "642515712",
        "headers": [["x-contact", "jeanne@example.fr"], ["x-null", ""]],
        "payload": {"claim": {"contact": {"email": "jeanne@example.fr"}}},
        "unmasked": True,
        **extra,
    }


UNMASKED_PATH = "/api/v1/dead-letters/p.claims.submitted.v1.dlq%3A2%3A7?unmasked=1"


def test_an_unmasked_dead_letter_is_read_through_the_back_office_under_the_token(backoffice, monkeypatch) -> None:
    monkeypatch.setenv("GUICHET_TOPIC_PREFIX", "p.")
    backoffice.answers[("GET", UNMASKED_PATH)] = (200, letter())
    shown = invoke("dlq", "show", "claims.submitted.v1.dlq:2:7", "--unmasked")
    assert shown.exit_code == 0, shown.output
    assert backoffice.seen == [("GET", UNMASKED_PATH, f"Bearer {TOKEN}", None)]  # the back-office audits this read
    assert "claims.submitted.v1.dlq:2:7  (replayed by alice)" in shown.output
    assert "original   claims.submitted.v1:1:40" in shown.output and '"email": "jeanne@example.fr"' in shown.output
    assert "    x-contact: jeanne@example.fr" in shown.output

    as_json = invoke("dlq", "show", "claims.submitted.v1.dlq:2:7", "--unmasked", "--json", token=None)
    assert as_json.exit_code == 2 and "GUICHET_TOKEN" in as_json.output  # no token, no unmasked read
    monkeypatch.setenv("GUICHET_TOKEN", TOKEN)
    as_json = invoke("dlq", "show", "p.claims.submitted.v1.dlq:2:7", "--unmasked", "--json", token=None)
    document = json.loads(as_json.stdout)
    assert {key: document[key] for key in ("id", "topic", "original", "state", "operator", "action_reason")} == {
        "id": "claims.submitted.v1.dlq:2:7",
        "topic": "claims.submitted.v1.dlq",
        "original": "claims.submitted.v1:1:40",
        "state": "replayed",
        "operator": "alice",
        "action_reason": None,
    }
    assert document["payload"] == letter()["payload"] and ["x-null", ""] in document["headers"]


def test_an_unmasked_read_the_back_office_refuses_shows_nothing(backoffice) -> None:
    path = UNMASKED_PATH.replace("p.", "")
    backoffice.answers[("GET", path)] = (403, {"error": "réservées aux superviseurs et aux auditeurs"})
    refused = invoke("dlq", "show", "claims.submitted.v1.dlq:2:7", "--unmasked")
    assert refused.exit_code == 1 and "refused (not allowed)" in refused.output
    assert "jeanne" not in refused.output and len(backoffice.seen) == 1


def test_a_set_aside_item_is_addressed_by_its_owning_service(backoffice) -> None:
    path = "/api/v1/set-aside/payments/payment_attempt/PAY-1%3A1/cancel"
    backoffice.answers[("POST", path)] = (200, decision("set_aside_cancel", "PAY-1:1", "complete", service="payments"))
    assert invoke("set-aside", "cancel", "payment_attempt", "PAY-1:1", "--reason", "no name").exit_code == 0
    assert [seen[:2] for seen in backoffice.seen] == [("POST", path)]

    every_service = invoke("set-aside", "release", "outbox_row", "7", "--reason", "broker back")
    assert every_service.exit_code == 1 and "--service" in every_service.output
    assert invoke("set-aside", "release", "payment_attempt", "a/b", "--reason", "x").exit_code == 1
    assert len(backoffice.seen) == 1  # refused before anything was asked


def test_decisions_list_second_and_withdraw(backoffice) -> None:
    waiting = decision("review_approve", "CFN-9", "pending")
    backoffice.answers[("GET", "/api/v1/decisions")] = (200, {"decisions": [waiting]})
    seconded = decision("review_approve", "CFN-9", "complete", seconded_by="bob")
    backoffice.answers[("POST", f"/api/v1/decisions/{DECISION_ID}/second")] = (200, seconded)
    backoffice.answers[("POST", f"/api/v1/decisions/{DECISION_ID}/withdraw")] = (409, {"error": "déjà approuvée"})

    listed = invoke("decisions", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output) == [waiting]
    table = invoke("decisions", "list")
    assert "1 decision(s) waiting" in table.output and "CFN-9" in table.output
    second = invoke("decisions", "second", DECISION_ID)
    assert second.exit_code == 0 and "seconded by bob" in second.output and COMMAND_ID in second.output
    withdrawn = invoke("decisions", "withdraw", DECISION_ID)
    assert withdrawn.exit_code == 1 and "refused: déjà approuvée" in withdrawn.output
    assert invoke("decisions", "second", "not-a-uuid").exit_code == 2


@pytest.mark.parametrize(
    ("status", "answer", "code", "said"),
    [
        (401, {"error": "jeton absent, inconnu ou révoqué"}, 1, "refused (token missing, unknown or revoked)"),
        (403, {"error": "Votre rôle ne permet pas cette décision."}, 1, "refused (not allowed): Votre rôle"),
        (409, {"error": "Ce dossier n'est pas (ou plus) en attente"}, 1, "refused: Ce dossier"),
        (400, {"error": "Une décision s'accompagne toujours d'un motif écrit."}, 1, "refused: Une décision"),
        (500, "Internal Server Error", 3, "unavailable: the back-office answered 500"),
    ],
)
def test_the_back_office_s_answers_become_exit_codes(backoffice, status, answer, code, said) -> None:
    backoffice.answers[("POST", "/api/v1/review/CFN-2/reject")] = (status, answer)
    result = invoke("review", "reject", "CFN-2", "--reason", "x")
    assert result.exit_code == code, result.output
    assert said in result.output


def test_an_unreachable_back_office_exits_3(backoffice, monkeypatch) -> None:
    monkeypatch.setenv("BACKOFFICE_URL", "http://127.0.0.1:1/")
    result = invoke("review", "approve", "CFN-3", "--reason", "x")
    assert result.exit_code == 3 and "unavailable: the back-office at http://127.0.0.1:1/" in result.output


def test_no_token_no_address_or_an_operator_string_are_usage_errors(backoffice, monkeypatch) -> None:
    no_token = invoke("review", "approve", "CFN-4", "--reason", "x", token=None)
    assert no_token.exit_code == 2 and "GUICHET_TOKEN" in no_token.output
    operator = invoke("set-aside", "cancel", "payment_attempt", "P:1", "--operator", "alice", "--reason", "x")
    assert operator.exit_code == 2 and "is gone" in operator.output
    monkeypatch.delenv("BACKOFFICE_URL")
    no_address = invoke("dlq", "discard", "claims.submitted.v1.dlq:0:1", "--reason", "x")
    assert no_address.exit_code == 2 and "BACKOFFICE_URL" in no_address.output
    assert backoffice.seen == []
    assert TOKEN not in no_address.output + no_token.output + operator.output
