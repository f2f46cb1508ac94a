"""`guichet` as a whole: one command for everything operators and finance run, its version, its exit codes in
`--help`, and `--json` on every command that reads."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from guichet_console import cli

runner = CliRunner()
READING = [
    ("status",),
    ("trace",),
    ("report",),
    ("review", "list"),
    ("review", "show"),
    ("dlq", "list"),
    ("dlq", "show"),
    ("set-aside", "list"),
    ("whatif",),
    ("reconcile",),
    ("controls", "preview"),
    ("controls", "list"),
    ("controls", "show"),
    ("controls", "open"),
    ("controls", "decide"),
    ("recovery", "list"),
    ("recovery", "show"),
]


def command(path: tuple[str, ...]) -> Any:
    found: Any = typer.main.get_command(cli.app)
    for name in path:
        assert hasattr(found, "commands"), f"{' '.join(path)}: {found.name} has no subcommands"
        found = found.commands[name]
    return found


def test_version_is_the_installed_package_s() -> None:
    result = runner.invoke(cli.app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"guichet {version('guichet-console')}"


def test_help_lists_the_commands_and_the_exit_codes() -> None:
    result = runner.invoke(cli.app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in ("status", "trace", "report", "review", "whatif", "dlq", "set-aside", "reconcile", "registry", "demo"):
        assert name in result.output
    text = " ".join(result.output.split())
    assert "Exit codes: 0 " in text and "1 refused or not found" in text and "2 usage error" in text
    assert "3 infrastructure unreachable" in text


@pytest.mark.parametrize("path", READING, ids=" ".join)
def test_every_command_that_reads_takes_json(path: tuple[str, ...]) -> None:
    assert "--json" in [opt for param in command(path).params for opt in param.opts]


@pytest.mark.parametrize(
    "path",
    [
        ("registry", "import"),
        ("registry", "synthesize"),
        ("demo", "run"),
        ("demo", "simulate"),
        ("demo", "example"),
        ("finance", "bank"),
        ("review", "approve"),
        ("review", "reject"),
        ("dlq", "replay"),
        ("dlq", "discard"),
        ("set-aside", "release"),
        ("set-aside", "cancel"),
        ("decisions", "list"),
        ("decisions", "second"),
        ("decisions", "withdraw"),
    ],
    ids=" ".join,
)
def test_the_tools_operators_and_finance_run_are_guichet_commands(path: tuple[str, ...]) -> None:
    assert command(path).callback is not None


def test_a_usage_error_exits_with_2() -> None:
    assert runner.invoke(cli.app, ["review", "approve", "CFN-1"]).exit_code == 2  # no --reason


@pytest.mark.parametrize(
    "path",
    [("review", "approve", "CFN-1"), ("dlq", "replay", "t.dlq:0:1"), ("set-aside", "cancel", "email", "1")],
    ids=lambda path: " ".join(path[:2]),
)
def test_a_decision_names_no_operator_the_token_s_account_decides(path: tuple[str, ...]) -> None:
    """`--operator alice` let anybody be anybody (issue 15): it is refused, and hidden from --help."""
    result = runner.invoke(cli.app, [*path, "--operator", "alice", "--reason", "x"], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and "is gone" in result.output
    shown = runner.invoke(cli.app, [*path[:2], "--help"], env={"COLUMNS": "200"}).output
    assert "--operator" not in shown and "--token" in shown and "GUICHET_TOKEN" in shown
