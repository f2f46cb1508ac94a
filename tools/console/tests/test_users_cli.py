"""`guichet users ...` and `guichet audit ...` on a real back-office database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from typer.testing import CliRunner

from guichet_console.users import audit_app, users_app

pytestmark = pytest.mark.integration


@pytest.fixture
async def backoffice_url(infra, run_id: str) -> AsyncIterator[str]:
    """A back-office database of its own, never migrated: the commands bring its schema up to date themselves."""
    from guichet_deploy.postgres import drop_databases, provision_databases

    if infra.pg_admin_dsn is None:
        pytest.skip("needs a PostgreSQL the tests may create databases on")
    suffix = f"_users{run_id}"
    yield (await provision_databases(infra.pg_admin_dsn, ["backoffice"], suffix=suffix))["backoffice"]
    await drop_databases(infra.pg_admin_dsn, ["backoffice"], suffix=suffix)


def test_accounts_and_the_audit_trail_from_the_terminal(backoffice_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", backoffice_url)
    runner = CliRunner()

    added = runner.invoke(users_app, ["add", "cli-zoe", "--role", "finance"])
    assert added.exit_code == 0 and "one-time password" in added.output
    assert runner.invoke(users_app, ["add", "cli-zoe", "--role", "finance"]).exit_code == 1  # exists
    assert runner.invoke(users_app, ["add", "cli-yves", "--role", "nobody"]).exit_code == 1
    assert runner.invoke(users_app, ["set-role", "cli-zoe", "auditor"]).exit_code == 0
    token = runner.invoke(users_app, ["token", "cli-zoe", "--label", "poste-1"])
    assert token.exit_code == 0 and token.output.startswith("gbo_")
    assert runner.invoke(users_app, ["disable", "cli-zoe"]).exit_code == 0
    assert runner.invoke(users_app, ["token", "cli-zoe"]).exit_code == 1  # a disabled account gets none
    listed = runner.invoke(users_app, ["list"])
    assert "cli-zoe" in listed.output and "auditor" in listed.output and "disabled" in listed.output

    verified = runner.invoke(audit_app, ["verify"])
    assert verified.exit_code == 0 and "intact" in verified.output
    exported = runner.invoke(audit_app, ["export"])
    assert exported.exit_code == 0 and "account_role_set,cli-zoe" in exported.output
