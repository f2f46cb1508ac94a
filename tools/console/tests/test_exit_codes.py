"""What `guichet` commands exit with (guichet_common.cli.ExitCode) and print with --json, their readers replaced:
1 for a refusal or an unknown claim, 2 for a usage error, 3 when a database or the broker is unreachable. The write
commands' answers from the back-office are in test_write_commands_backoffice.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from guichet_common.cli import ExitCode
from guichet_console import cli, dlq_ops, review, whatif
from guichet_console import reconcile as reconcile_command
from guichet_eligibility import operators as eligibility
from guichet_payments import operators as payments

runner = CliRunner()
DECIDED_AT = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


class FakeStack:
    """A stack whose connections reach nothing: every reader is replaced in these tests."""

    topic_prefix = "test."
    kafka_bootstrap = "127.0.0.1:1"
    database_urls: ClassVar[dict[str, str]] = {
        "eligibility": "postgresql://nowhere/e",
        "payments": "postgresql://nowhere/p",
    }

    @contextlib.asynccontextmanager
    async def connection(self, service: str, **_: Any):
        yield object()


@pytest.fixture(autouse=True)
def stack(monkeypatch: pytest.MonkeyPatch) -> FakeStack:
    fake = FakeStack()
    for module in (review, whatif, reconcile_command):
        monkeypatch.setattr(module, "current_stack", lambda *_, **__: fake)
    return fake


def invoke(*args: str):
    return runner.invoke(cli.app, list(args), env={"COLUMNS": "200"})


def test_review_list_json(monkeypatch: pytest.MonkeyPatch) -> None:
    async def under_review(conn, programme):
        row = {"claim_id": "CFN-3", "programme": "p", "siren": "642210199", "reasons": ["REGISTRY_NO_RECORD"]}
        return [row | {"decided_at": DECIDED_AT}]

    monkeypatch.setattr(eligibility, "under_review", under_review)
    result = invoke("review", "list", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {
            "claim_id": "CFN-3",
            "programme": "p",
            "siren": "642210199",
            "reasons": ["REGISTRY_NO_RECORD"],
            "waiting_since": DECIDED_AT.isoformat(),
        }
    ]


def test_review_show_of_an_unknown_claim_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    async def nothing(conn, claim_id):
        return None

    monkeypatch.setattr(eligibility, "review_detail", nothing)
    result = invoke("review", "show", "CFN-404", "--json")
    assert result.exit_code == 1
    assert "no claim CFN-404" in result.output


def test_review_show_json_has_the_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    async def detail(conn, claim_id):
        rules = [{"code": "TURNOVER_TOO_HIGH", "passed": False, "observed": {"declared_cents": 1}}]
        return {"claim_id": claim_id, "status": "under_review", "rule_version": "v1", "reasons": [], "rules": rules}

    monkeypatch.setattr(eligibility, "review_detail", detail)
    result = invoke("review", "show", "CFN-5", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rules"][0]["code"] == "TURNOVER_TOO_HIGH"


def test_an_unreachable_database_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    async def unreachable(conn, programme):
        raise ConnectionRefusedError(111, "Connect call failed")

    monkeypatch.setattr(eligibility, "under_review", unreachable)
    result = invoke("review", "list")
    assert result.exit_code == ExitCode.UNREACHABLE == 3
    assert "unavailable: ConnectionRefusedError" in result.output


def test_an_unreachable_broker_exits_3_for_dead_letters(monkeypatch: pytest.MonkeyPatch, stack: FakeStack) -> None:
    async def unreachable(stack, topic=None):
        raise TimeoutError("no broker")

    monkeypatch.setattr("guichet_console.dlq.current_stack", lambda: stack)
    monkeypatch.setattr(dlq_ops, "list_dead_letters", unreachable)
    assert invoke("dlq", "list", "--json").exit_code == 3


def test_a_configured_environment_missing_a_database_url_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real current_stack
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    monkeypatch.delenv("ELIGIBILITY_DATABASE_URL", raising=False)
    result = invoke("review", "list")
    assert result.exit_code == 2
    assert "ELIGIBILITY_DATABASE_URL not set" in result.output


@dataclass
class FakeReconciliation:
    ok: bool
    checks: list[str] = field(default_factory=list)

    def as_json(self) -> str:
        return json.dumps({"ok": self.ok, "checks": self.checks})


@pytest.mark.parametrize(("ok", "code"), [(True, 0), (False, 1)])
def test_reconcile_exits_1_when_a_check_disagrees(monkeypatch: pytest.MonkeyPatch, ok: bool, code: int) -> None:
    async def reconciled(database_url):
        assert database_url == FakeStack.database_urls["payments"]
        return FakeReconciliation(ok, ["budget identity"])

    monkeypatch.setattr(payments, "reconcile_database", reconciled)
    result = invoke("reconcile", "--json")
    assert result.exit_code == code, result.output
    assert json.loads(result.output)["ok"] is ok


def test_reconcile_exits_3_when_the_database_cannot_be_read(monkeypatch: pytest.MonkeyPatch) -> None:
    async def unreachable(database_url):
        raise OSError("connection refused")

    monkeypatch.setattr(payments, "reconcile_database", unreachable)
    result = invoke("reconcile")
    assert result.exit_code == 3
    assert "cannot read the payments database" in result.output


def test_whatif_json_and_a_setting_that_does_not_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    programme = sorted(eligibility.programmes())[0]

    async def replay(conn, judged_with, rule_version):
        report = eligibility.WhatIfReport(programme, claims=2)
        report.before, report.after = Counter(approved=2), Counter(approved=1, rejected=1)
        return report

    monkeypatch.setattr(eligibility, "whatif", replay)
    result = invoke("whatif", "--programme", programme, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert (document["claims"], document["before"], document["after"]) == (
        2,
        {"approved": 2},
        {"approved": 1, "rejected": 1},
    )
    assert invoke("whatif", "--programme", programme, "--set", "no.such.setting=1").exit_code == 2
    assert invoke("whatif", "--programme", "no-such-programme").exit_code == 2
