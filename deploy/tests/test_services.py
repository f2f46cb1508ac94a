from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest

from guichet_deploy.infra import Infra
from guichet_deploy.procs import pid_alive
from guichet_deploy.services import ServiceStartError, service_status, start_services, stop_services

# Stand-ins for the real services: the launcher only cares that `python -m guichet_<name>` runs or exits.
DUMMY = """
import json, os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
SUFFIXES = ("_URL", "SERVERS", "_HOST", "_PORT", "FORMAT", "_SECURE", "_LOOPBACK")
with open(os.environ["DUMMY_OUT"], "w") as out:
    json.dump({k: v for k, v in os.environ.items() if k.endswith(SUFFIXES)}, out)
print("dummy_started", flush=True)
while True:
    time.sleep(0.1)
"""
STUBBORN = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("stubborn_started", flush=True)
while True:
    time.sleep(0.1)
"""
CRASHY = """
import sys
print("connecting to postgresql://guichet_crashy:do-not-print-me@127.0.0.1:5/db", flush=True)
raise SystemExit("crashy could not start: boom")
"""


@pytest.fixture
def infra(tmp_path: Path) -> Infra:
    return Infra(
        "env",
        "127.0.0.1:9",
        {"intake": "postgresql://guichet_intake:pw@127.0.0.1:5/guichet_intake"},
        None,
        "127.0.0.1",
        2525,
        None,
        tmp_path / "state",
    )


@pytest.fixture
def modules(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "modules"
    folder.mkdir()
    for name, source in {"dummy": DUMMY, "stubborn": STUBBORN, "crashy": CRASHY}.items():
        (folder / f"guichet_{name}.py").write_text(textwrap.dedent(source))
    return {"PYTHONPATH": str(folder), "DUMMY_OUT": str(tmp_path / "dummy-env.json")}


def test_a_service_gets_the_infrastructure_env_and_is_started_once(infra: Infra, modules: dict[str, str]) -> None:
    pids = start_services(infra, names=("dummy",), extra_env=modules, settle_s=0.5)
    again = start_services(infra, names=("dummy",), extra_env=modules, settle_s=0.5)

    assert again == pids
    assert service_status(infra.state_dir)["dummy"].running
    env = _wait_for_json(Path(modules["DUMMY_OUT"]))
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:9"
    assert env["INTAKE_DATABASE_URL"].startswith("postgresql://guichet_intake:")
    assert env["NOTIFICATIONS_SMTP_PORT"] == "2525"
    assert env["LOG_FORMAT"] == "json"
    assert env["BACKOFFICE_COOKIE_SECURE"] == "false"  # plain http on 127.0.0.1: a Secure cookie would not return
    assert env["GATEWAY_WEBHOOK_ALLOW_HTTP_LOOPBACK"] == "true"  # the demo's webhook receiver is on 127.0.0.1
    assert "dummy_started" in (infra.state_dir / "logs" / "dummy.log").read_text()

    assert stop_services(infra.state_dir) == ["dummy"]
    assert not pid_alive(pids["dummy"])
    assert "dummy" not in service_status(infra.state_dir)


def test_a_service_that_ignores_sigterm_is_killed(infra: Infra, modules: dict[str, str]) -> None:
    pids = start_services(infra, names=("stubborn",), extra_env=modules, settle_s=0.5)
    started = time.monotonic()

    assert stop_services(infra.state_dir, timeout_s=1) == ["stubborn"]

    assert time.monotonic() - started < 8
    assert not pid_alive(pids["stubborn"])


def test_a_service_exiting_at_start_is_reported_with_its_log(infra: Infra, modules: dict[str, str]) -> None:
    with pytest.raises(ServiceStartError) as failure:
        start_services(infra, names=("dummy", "crashy"), extra_env=modules, settle_s=2)

    message = str(failure.value)
    assert "service crashy exited with code 1" in message
    assert "crashy could not start: boom" in message
    assert "do-not-print-me" not in message
    assert "dummy" not in message.split("crashy.log")[0].replace(str(infra.state_dir), "")
    stop_services(infra.state_dir)


def test_stopping_when_nothing_runs_succeeds(tmp_path: Path) -> None:
    assert stop_services(tmp_path / "empty") == []


def _wait_for_json(path: Path) -> dict[str, str]:
    deadline = time.monotonic() + 10
    while True:
        try:
            return json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            assert time.monotonic() < deadline
            time.sleep(0.05)
