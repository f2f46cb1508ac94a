"""docs/reason-codes.md is the contract documentation of every reason code: a code the services can emit and the
file does not document, or a French sentence that differs from the e-mails', fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from guichet_notifications.domain import REASON_SENTENCES

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reason-codes.md"
CODE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
ROW = re.compile(r"^\| `(?P<code>[A-Z][A-Z0-9_]+)` \|(?P<cells>.*)\|\s*$")


def documented(*, on_statuses_only: bool = False) -> dict[str, list[str]]:
    """Each documented code with the French text of each row it has (a code may be in two tables); with
    `on_statuses_only`, without the sections whose heading says their codes are never on a status."""
    rows: dict[str, list[str]] = {}
    never_on_a_status = False
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            never_on_a_status = "never on a status" in line
        elif (match := ROW.match(line)) and not (on_statuses_only and never_on_a_status):
            rows.setdefault(match["code"], []).append(match["cells"].split("|")[-1].strip())
    return rows


def emitted() -> dict[str, str]:
    """String constants shaped like a code in the services' sources, with where each was found; the names in
    an `__all__` and environment variable names are not codes."""
    found: dict[str, str] = {}
    for path in sorted(ROOT.glob("services/*/src/**/*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        not_codes = {id(node) for node in ast.walk(tree) for node in _exports_and_env_names(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in not_codes:
                if CODE.fullmatch(node.value):
                    found.setdefault(node.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _exports_and_env_names(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
        return list(ast.walk(node.value))
    if isinstance(node, ast.Call) and ast.unparse(node.func) in {"os.environ.get", "os.getenv"}:
        return list(node.args[:1])
    if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
        return list(ast.walk(node.slice))
    return []


def test_every_code_the_services_emit_is_documented() -> None:
    codes = emitted()
    missing = {code: where for code, where in codes.items() if code not in documented()}
    assert missing == {}, "codes emitted but not documented in docs/reason-codes.md"
    # The scan itself works: it finds intake's, eligibility's and payments' codes.
    assert {"SIREN_INVALID", "IBAN_SHARED", "BUDGET_EXHAUSTED", "HOLDER_NAME_UNWRITABLE"} <= set(codes)


def test_every_code_the_e_mails_explain_is_documented_with_the_same_sentence() -> None:
    rows = documented()
    assert sorted(set(REASON_SENTENCES) - set(rows)) == []
    different = {
        code: (texts, REASON_SENTENCES[code])
        for code, texts in rows.items()
        if code in REASON_SENTENCES and any(text != REASON_SENTENCES[code] for text in texts)
    }
    assert different == {}


def test_every_documented_code_has_a_sentence_for_the_applicant() -> None:
    assert sorted(set(documented(on_statuses_only=True)) - set(REASON_SENTENCES)) == []
