"""`guichet privacy export|erase|rectify` through a fake back-office on a local port: the API's shapes, polling
until the services answered, the files an export writes (escaped HTML, readable by their owner only), each claim's
outcome of an erasure with its refusal code, and exit codes. No database, no broker."""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from guichet_console import cli, privacy

TOKEN = "gbo_test-token-of-sam"
REQUEST = "0b7e3f2a-5d1c-4e8e-9a57-3c1f00000001"
HOSTILE = '<script>alert("x")</script> Jeanne & Fils'


class FakeBackoffice(BaseHTTPRequestHandler):
    # (method, path) -> the answers to give in turn (the last one repeats)
    answers: ClassVar[dict[tuple[str, str], list[tuple[int, Any]]]] = {}
    seen: ClassVar[list[tuple[str, str, str | None, Any]]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.seen.append((self.command, self.path, self.headers.get("authorization"), body))
        queue = self.answers.get((self.command, self.path), [(404, {"error": "inconnu"})])
        status, document = queue.pop(0) if len(queue) > 1 else queue[0]
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
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
    monkeypatch.delenv("GUICHET_TOKEN", raising=False)
    monkeypatch.setenv("GUICHET_STATE_DIR", str(tmp_path / "no-stack-here"))
    monkeypatch.setenv("BACKOFFICE_URL", f"http://127.0.0.1:{server.server_port}/")
    monkeypatch.setattr(privacy, "POLL_EVERY_S", 0.01)
    yield FakeBackoffice
    server.shutdown()
    server.server_close()


def invoke(*args: str):
    return CliRunner().invoke(cli.app, ["privacy", *args, "--token", TOKEN], env={"COLUMNS": "200"})


def export_document(complete: bool) -> dict[str, Any]:
    record = {
        "store": "table contacts",
        "claim_id": "CFN-1",
        "fields": {"email": "jeanne@example.fr", "full_name": HOSTILE, "phone": {"erased_on": "2026-11-30"}},
    }
    return {
        "complete": complete,
        "missing": [] if complete else ["payments"],
        "subject": {"email": "jeanne@example.fr"},
        "claim_ids": ["CFN-1"],
        "parts": [
            {"service": "intake", "records": [record]},
            {
                "service": "payments",
                "records": [{"store": "table p", "claim_id": "CFN-1", "fields": {"iban": {"sealed": True}}}],
            },
        ],
    }


def test_an_export_polls_until_every_service_answered_and_writes_json_and_escaped_html(backoffice, tmp_path) -> None:
    backoffice.answers[("POST", "/api/privacy/exports")] = [(202, {"request_id": REQUEST, "claim_ids": ["CFN-1"]})]
    backoffice.answers[("GET", f"/api/privacy/exports/{REQUEST}")] = [
        (200, export_document(False)),
        (200, export_document(True)),
    ]
    result = invoke(
        "export", "--email", "jeanne@example.fr", "--reason", "art. 15, courrier du 2/12", "--out", str(tmp_path)
    )
    assert result.exit_code == 0, result.output
    asked = backoffice.seen[0]
    assert asked == (
        "POST",
        "/api/privacy/exports",
        f"Bearer {TOKEN}",
        {"email": "jeanne@example.fr", "reason": "art. 15, courrier du 2/12"},
    )
    assert len(backoffice.seen) == 3  # asked, then read until complete

    written = json.loads((tmp_path / f"export-{REQUEST}.json").read_text(encoding="utf-8"))
    assert written["request_id"] == REQUEST and written["parts"] == export_document(True)["parts"]
    page = (tmp_path / f"export-{REQUEST}.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page and "Jeanne &amp; Fils" in page
    assert "effacé le 30/11/2026" in page and "scellé" in page and "jeanne@example.fr" in page
    for path in tmp_path.glob("export-*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{path.name} is readable by others"


def test_an_export_with_json_prints_it_and_writes_nothing(backoffice, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    backoffice.answers[("POST", "/api/privacy/exports")] = [(202, {"request_id": REQUEST, "claim_ids": ["CFN-1"]})]
    backoffice.answers[("GET", f"/api/privacy/exports/{REQUEST}")] = [(200, export_document(True))]
    result = invoke("export", "--claim", "CFN-1", "--reason", "art. 15", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["subject"] == {"email": "jeanne@example.fr"}
    assert backoffice.seen[0][3] == {"claim_id": "CFN-1", "reason": "art. 15"}
    assert list(tmp_path.iterdir()) == []


def test_an_export_still_incomplete_names_who_did_not_answer_and_writes_nothing(backoffice, tmp_path) -> None:
    backoffice.answers[("POST", "/api/privacy/exports")] = [(202, {"request_id": REQUEST, "claim_ids": ["CFN-1"]})]
    backoffice.answers[("GET", f"/api/privacy/exports/{REQUEST}")] = [(200, export_document(False))]
    result = invoke("export", "--siren", "123456789", "--reason", "x", "--out", str(tmp_path), "--wait", "0.05")
    assert result.exit_code == 3 and "no answer from payments" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_erasure_prints_each_claims_outcome_with_its_refusal_code(backoffice) -> None:
    ids = {"CFN-1": "c0000000-0000-4000-8000-000000000001", "CFN-2": "c0000000-0000-4000-8000-000000000002"}
    backoffice.answers[("POST", "/api/privacy/erasures")] = [(202, {"request_ids": ids})]
    backoffice.answers[("GET", f"/api/privacy/requests/{ids['CFN-1']}")] = [
        (404, {"error": "pas encore"}),
        (200, {"outcome": "applied", "detail": ""}),
    ]
    refusal = "ERASURE_REFUSED_UNDER_REVIEW la demande est en vérification manuelle"
    backoffice.answers[("GET", f"/api/privacy/requests/{ids['CFN-2']}")] = [
        (200, {"outcome": None}),
        (200, {"outcome": "refused", "detail": refusal}),
    ]
    result = invoke("erase", "--email", "jeanne@example.fr", "--reason", "art. 17")
    assert result.exit_code == 1, result.output  # one refused
    assert f"CFN-1: applied (request {ids['CFN-1']})" in result.output
    assert f"CFN-2: refused {refusal}" in result.output
    assert backoffice.seen[0][3] == {"email": "jeanne@example.fr", "reason": "art. 17"}

    backoffice.answers[("POST", "/api/privacy/erasures")] = [(202, {"request_ids": {"CFN-1": ids["CFN-1"]}})]
    as_json = invoke("erase", "--claim", "CFN-1", "--reason", "art. 17", "--json")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == [
        {"claim_id": "CFN-1", "request_id": ids["CFN-1"], "outcome": "applied", "detail": ""}
    ]


def test_an_erasure_without_an_answer_in_time_exits_3(backoffice) -> None:
    command = "c0000000-0000-4000-8000-000000000003"
    backoffice.answers[("POST", "/api/privacy/erasures")] = [(202, {"request_ids": {"CFN-3": command}})]
    result = invoke("erase", "--claim", "CFN-3", "--reason", "art. 17", "--wait", "0.05")
    assert result.exit_code == 3 and "CFN-3: pending" in result.output


def test_a_rectification_is_sent_and_its_outcome_printed(backoffice) -> None:
    command = "c0000000-0000-4000-8000-000000000004"
    backoffice.answers[("POST", "/api/privacy/rectifications")] = [(202, {"request_id": command})]
    backoffice.answers[("GET", f"/api/privacy/requests/{command}")] = [(200, {"outcome": "applied"})]
    result = invoke("rectify", "--claim", "CFN-1", "--full-name", "Jeanne Martin", "--reason", "art. 16")
    assert result.exit_code == 0, result.output
    assert backoffice.seen[0][3] == {"claim_id": "CFN-1", "full_name": "Jeanne Martin", "reason": "art. 16"}
    assert "CFN-1: applied" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ("export", "--reason", "x"),
        ("export", "--email", "a@b.fr", "--claim", "CFN-1", "--reason", "x"),
        ("erase", "--reason", "x"),
        ("rectify", "--claim", "CFN-1", "--reason", "x"),
        ("rectify", "--claim", "CFN-1", "--email", "a@b.fr", "--phone", "0600000000", "--reason", "x"),
    ],
)
def test_one_person_and_one_field_at_a_time_or_a_usage_error(backoffice, args) -> None:
    assert invoke(*args).exit_code == 2
    assert backoffice.seen == []


def test_a_refused_request_is_said_and_writes_nothing(backoffice, tmp_path) -> None:
    backoffice.answers[("POST", "/api/privacy/exports")] = [(403, {"error": "réservé aux superviseurs"})]
    result = invoke("export", "--claim", "CFN-1", "--reason", "x", "--out", str(tmp_path))
    assert result.exit_code == 1 and "refused (not allowed)" in result.output
    assert list(tmp_path.iterdir()) == []
