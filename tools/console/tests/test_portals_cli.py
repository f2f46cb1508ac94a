"""`guichet portals` without a database: a redelivery is a set-aside release through the back-office's API with a
personal token (a fake back-office answers it), usage errors are exit code 2, what is shown of a gateway row never
holds a key or a secret, and `guichet --help` loads none of the gateway's code."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import asyncpg
import pytest
from typer.testing import CliRunner

from guichet_console import cli
from guichet_console.portals import plain

TOKEN = "gbo_test-token-of-alice"
RELEASE = "/api/v1/set-aside/gateway/webhook_delivery/42/release"


class FakeBackoffice(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str | None, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"null")
        self.seen.append((self.path, self.headers.get("authorization"), body))
        decision = {
            "id": str(uuid.uuid4()),
            "action": "set_aside_release",
            "service": "gateway",
            "target": "42",
            "kind": "webhook_delivery",
            "reason": body["reason"],
            "state": "complete",
            "requested_by": "alice",
            "command_id": str(uuid.uuid4()),
        }
        payload = json.dumps(decision).encode() if self.path == RELEASE else b'{"error": "inconnu"}'
        self.send_response(200 if self.path == RELEASE else 404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def backoffice(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeBackoffice]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeBackoffice)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeBackoffice.seen = []
    monkeypatch.delenv("GUICHET_TOKEN", raising=False)
    monkeypatch.setenv("BACKOFFICE_URL", f"http://127.0.0.1:{server.server_port}/")

    def no_database(*args: object, **kwargs: object) -> None:
        raise AssertionError("a redelivery opened the gateway's database")

    monkeypatch.setattr(asyncpg, "connect", no_database)
    monkeypatch.setattr(asyncpg, "create_pool", no_database)
    yield FakeBackoffice
    server.shutdown()
    server.server_close()


def guichet(*args: str) -> Any:
    result = CliRunner().invoke(cli.app, ["portals", *args], env={"COLUMNS": "200"})
    assert not isinstance(result.exception, AssertionError), result.exception
    return result


def test_a_redelivery_is_a_set_aside_release_through_the_back_office(backoffice) -> None:
    result = guichet("redeliver", "42", "--reason", "receiver fixed", "--token", TOKEN)
    assert result.exit_code == 0, result.output
    assert backoffice.seen == [(RELEASE, f"Bearer {TOKEN}", {"reason": "receiver fixed"})]
    assert "set_aside_release of 42 (webhook_delivery): complete (alice)" in result.stdout
    assert "sent to gateway" in result.stdout


def test_a_redelivery_the_back_office_refuses_is_exit_code_1(backoffice) -> None:
    result = guichet("redeliver", "7", "--reason", "again", "--token", TOKEN, "--json")
    assert result.exit_code == 1 and "refused: inconnu" in result.stderr


def test_a_redelivery_needs_a_token_a_reason_and_a_delivery_number(backoffice) -> None:
    for args in (
        ("redeliver", "42", "--reason", "again"),  # no token
        ("redeliver", "42", "--token", TOKEN),  # no reason
        ("redeliver", "forty-two", "--reason", "again", "--token", TOKEN),
    ):
        assert guichet(*args).exit_code == 2
    assert backoffice.seen == []


def test_a_configured_environment_without_the_gateway_s_address_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    monkeypatch.delenv("GATEWAY_DATABASE_URL", raising=False)
    result = guichet("list")
    assert result.exit_code == 2 and "GATEWAY_DATABASE_URL" in result.output


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    key_id: str
    key_sha256: bytes
    webhook_secret: str
    created_at: dt.datetime
    event_id: uuid.UUID
    error: str | None


def test_what_is_shown_of_a_row_never_holds_a_key_or_a_secret_and_is_printable() -> None:
    event = uuid.uuid4()
    row = Row("cci", "0123abcd", b"\x01" * 32, "whsec_x", dt.datetime(2026, 12, 3, tzinfo=dt.UTC), event, "a\x1b[2Jb")
    shown = plain(row)
    assert set(shown) == {"name", "created_at", "event_id", "error"}  # no key id, digest nor secret
    assert (shown["name"], shown["created_at"], shown["event_id"]) == ("cci", "2026-12-03T00:00:00+00:00", str(event))
    assert "\x1b" not in shown["error"] and json.dumps(shown)


HELP_THEN_MODULES = """
import sys
from typer.testing import CliRunner
from guichet_console import cli
assert CliRunner().invoke(cli.app, ["--help"]).exit_code == 0
print(" ".join(sorted(name for name in sys.modules if name.startswith("guichet_gateway"))))
"""


def test_portals_is_listed_with_its_own_help_and_loads_the_gateway_only_when_run() -> None:
    from guichet_console import portals

    assert cli.LOADED_WHEN_RUN["portals"][1] == portals.app.info.help
    done = subprocess.run([sys.executable, "-c", HELP_THEN_MODULES], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "", done.stderr
    own = guichet("--help")
    assert own.exit_code == 0 and "rotate-key" in own.output and "redeliver" in own.output
