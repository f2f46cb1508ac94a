"""The console reaches into a service only through that service's declared `operators` module.

Every module of tools/console is parsed (nothing is imported): an `import` or `from ... import` of guichet_intake,
guichet_eligibility, guichet_payments, guichet_notifications or guichet_gateway other than
`guichet_<service>.operators` fails, and so does a string naming another module of theirs (how
`importlib.import_module` would get around the rule), except the module of a `-m` command line, which runs in a
process of its own.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

CONSOLE = Path(__file__).resolve().parents[1]
SERVICES = ("guichet_intake", "guichet_eligibility", "guichet_payments", "guichet_notifications", "guichet_gateway")
MODULE_NAME = re.compile(rf"^(?:{'|'.join(SERVICES)})(?:\.\w+)*$")


def _allowed(module: str) -> bool:
    top, _, rest = module.partition(".")
    return top not in SERVICES or rest == "operators" or rest.startswith("operators.")


def violations(tree: ast.AST) -> list[str]:
    # `[python, "-m", "guichet_payments.reconcile"]` runs a command in a process of its own: not an import.
    run_as_main = {
        id(node.elts[i + 1])
        for node in ast.walk(tree)
        if isinstance(node, ast.List | ast.Tuple)
        for i, element in enumerate(node.elts[:-1])
        if isinstance(element, ast.Constant) and element.value == "-m"
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if not _allowed(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in SERVICES:  # `from guichet_x import operators` names the module itself
                found += [
                    f"line {node.lineno}: from {node.module} import {a.name}"
                    for a in node.names
                    if not _allowed(f"{node.module}.{a.name}")
                ]
            elif not _allowed(node.module):
                found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULE_NAME.match(node.value):
            if "." in node.value and not _allowed(node.value) and id(node) not in run_as_main:
                found.append(f"line {node.lineno}: module named by string {node.value!r}")
    return found


def modules() -> list[Path]:
    return sorted(path for path in CONSOLE.rglob("*.py") if ".venv" not in path.parts)


@pytest.mark.parametrize("path", modules(), ids=lambda path: str(path.relative_to(CONSOLE)))
def test_the_console_imports_only_the_services_operators_modules(path: Path) -> None:
    assert violations(ast.parse(path.read_text(encoding="utf-8"), str(path))) == []


@pytest.mark.parametrize(
    ("source", "allowed"),
    [
        ("from guichet_payments import operators as payments", True),
        ("import guichet_eligibility.operators", True),
        ("from guichet_intake.operators import stage_figures", True),
        ("from guichet_common.set_aside import held_items", True),
        ("from guichet_eligibility import history_repository", False),
        ("from guichet_eligibility.cli import review_app", False),
        ("import guichet_payments", False),
        ("from guichet_payments import operators, repository", False),
        ("importlib.import_module('guichet_notifications.set_aside_repository')", False),
        ("subprocess.run([sys.executable, '-m', 'guichet_payments.reconcile'])", True),
        ("from guichet_gateway import operators as gateway", True),
        ("from guichet_gateway.portals import add_portal", False),
        ("from guichet_gateway.keys import key_matches", False),
        ("importlib.import_module('guichet_gateway.webhooks.repository')", False),
    ],
)
def test_what_the_rule_lets_through(source: str, allowed: bool) -> None:
    assert (violations(ast.parse(source)) == []) is allowed


SQL = re.compile(r"\b(?:SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b", re.IGNORECASE | re.DOTALL)


@pytest.mark.parametrize(
    "path", [p for p in modules() if "tests" not in p.parts], ids=lambda path: str(path.relative_to(CONSOLE))
)
def test_the_console_holds_no_sql(path: Path) -> None:
    """SQL lives in repositories and migrations: the console reads and writes the services' databases only through
    their operators modules and guichet_common's functions on the tables every service has."""
    statements = [
        f"line {node.lineno}: {node.value[:60]!r}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value)
    ]
    assert statements == []
