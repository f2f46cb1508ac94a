"""The launcher knows the gateway (issue 17): `make env` gives its address, and a local stack prepared before the
gateway existed gets its database and role on the next start, the other roles keeping their passwords."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from guichet_deploy import __main__ as cli
from guichet_deploy import infra as infra_module
from guichet_deploy.infra import SERVICES, Infra, ensure_infra

BEFORE_THE_GATEWAY = ("intake", "eligibility", "payments", "notifications", "backoffice")


@pytest.fixture(autouse=True)
def _structlog_as_it_was() -> Iterator[None]:
    """The command line points structlog at this test's captured stderr, closed once the test ends."""
    config = structlog.get_config()
    yield
    structlog.configure(**config)


def _infra(state_dir: Path) -> Infra:
    urls = {name: f"postgresql://guichet_{name}:pw@127.0.0.1:5/guichet_{name}" for name in SERVICES}
    return Infra("local", "127.0.0.1:9", urls, None, "127.0.0.1", 2525, None, state_dir)


def test_make_env_prints_the_gateways_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "state.json").write_text(json.dumps({"http_ports": {"gateway": 18086, "backoffice": 18085}}))
    monkeypatch.setattr(cli, "ensure_infra", lambda: _infra(tmp_path))

    assert cli.main(["env"]) == 0

    assignments = dict(shlex.split(line)[0].split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert assignments["GATEWAY_URL"] == "http://127.0.0.1:18086/"
    assert assignments["GATEWAY_HTTP_PORT"] == "18086"
    assert assignments["GATEWAY_DATABASE_URL"].startswith("postgresql://guichet_gateway:")


def test_make_env_gives_no_gateway_address_before_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "ensure_infra", lambda: _infra(tmp_path))

    assert cli.main(["env"]) == 0

    assert "GATEWAY_URL=''" in capsys.readouterr().out.splitlines()


def test_a_stack_made_before_the_gateway_gets_its_database_on_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = {name: f"pw-{name}" for name in BEFORE_THE_GATEWAY}
    (tmp_path / "state.json").write_text(
        json.dumps({"source": "local", "local": {"service_passwords": recorded}, "smtp": {"port": 2525}})
    )
    provisioned: dict[str, Any] = {}

    async def start_local(folder: Path, state: dict[str, Any]) -> tuple[str, str]:
        return "127.0.0.1:9", "postgresql://guichet_admin:admin@127.0.0.1:5/postgres"

    async def smtp_sink(folder: Path, section: dict[str, Any]) -> Path:
        return folder / "maildir"

    async def provision_databases(admin_dsn: str, services: Any, passwords: dict[str, str]) -> dict[str, str]:
        provisioned.update(services=list(services), passwords=dict(passwords))
        return {name: f"postgresql://guichet_{name}:{passwords.get(name) or 'new'}@h:5/d" for name in services}

    async def ensure_topics(*args: Any, **kwargs: Any) -> list[str]:
        return []

    monkeypatch.setenv("GUICHET_INFRA", "local")
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.setattr(infra_module.local_stack, "start_local", start_local)
    monkeypatch.setattr(infra_module.local_stack, "ensure_smtp_sink", smtp_sink)
    monkeypatch.setattr(infra_module.postgres, "provision_databases", provision_databases)
    monkeypatch.setattr(infra_module, "ensure_topics", ensure_topics)

    started = ensure_infra(tmp_path)

    assert "gateway" in provisioned["services"]
    assert provisioned["passwords"] == recorded, "the running services' roles keep their passwords"
    assert started.database_urls["gateway"].startswith("postgresql://guichet_gateway:new@")
    saved = json.loads((tmp_path / "state.json").read_text())["local"]["service_passwords"]
    assert saved["gateway"] == "new" and saved["intake"] == "pw-intake"
