"""`guichet --help`, and every command but `users|audit`, load none of the back-office's code (argon2, its
accounts and migrations): those two groups are built when they run."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from guichet_console import cli

HELP_THEN_MODULES = """
import sys
from typer.testing import CliRunner
from guichet_console import cli
assert CliRunner().invoke(cli.app, ["--help"]).exit_code == 0
print(" ".join(sorted(name for name in sys.modules if name.startswith(("guichet_backoffice", "argon2")))))
"""


def test_the_root_help_loads_nothing_of_the_back_office() -> None:
    done = subprocess.run([sys.executable, "-c", HELP_THEN_MODULES], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_users_and_audit_are_listed_with_their_own_help_and_run_as_themselves() -> None:
    from guichet_console import users

    for name, app in (("users", users.users_app), ("audit", users.audit_app)):
        assert cli.LOADED_WHEN_RUN[name][1] == app.info.help
    listed = CliRunner().invoke(cli.app, ["--help"], env={"COLUMNS": "200"})
    assert (
        "users      The back-office's accounts" in listed.output
        and "audit      The back-office's audit" in listed.output
    )
    own = CliRunner().invoke(cli.app, ["users", "--help"], env={"COLUMNS": "200"})
    assert own.exit_code == 0 and "first-admin" in own.output and "Usage: root users" in own.output
    assert CliRunner().invoke(cli.app, ["audit", "nonesuch"]).exit_code == 2
