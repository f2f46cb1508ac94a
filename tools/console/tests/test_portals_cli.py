"""`guichet portals` without a database: usage errors are exit code 2, what is shown of a gateway row never holds a
key or a secret, and `guichet --help` loads none of the gateway's code."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
import uuid
from typing import Any

import asyncpg
import pytest
from typer.testing import CliRunner

from guichet_console import cli
from guichet_console.portals import plain


def guichet(*args: str) -> Any:
    result = CliRunner().invoke(cli.app, ["portals", *args], env={"COLUMNS": "200"})
    assert not isinstance(result.exception, AssertionError), result.exception
    return result


def test_a_redelivery_needs_a_reason_and_a_delivery_number(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_database(*args: object, **kwargs: object) -> None:
        raise AssertionError("a refused command line opened the gateway's database")

    monkeypatch.setattr(asyncpg, "create_pool", no_database)
    monkeypatch.setenv("GATEWAY_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    for args in (("redeliver", "42"), ("redeliver", "forty-two", "--reason", "again")):
        assert guichet(*args).exit_code == 2


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
