"""The reason-code catalogue (`reason-codes.v1.json`) is the contract of every code on a status: a code the
services can emit and the catalogue lacks, a code without its French and English texts, a quote that is not the
specification's, or a docs/reason-codes.md that no longer says what the catalogue says, fails here."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from guichet_common.contracts.privacy import REQUEST_REFUSAL_CODES
from guichet_common.contracts.reason_codes import CATALOGUE_FILE, SCHEMA_FILE, catalogue, text
from guichet_common.contracts.reason_codes_markdown import markdown
from guichet_common.settings import project_root

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reason-codes.md"
CODE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
# The services that decide codes; the others only repeat them (notifications, the back-office), and the gateway's
# own codes are HTTP problem codes (`RATE_LIMITED`…), documented in docs/openapi.json, never on a status.
DECIDING = ("intake", "eligibility", "payments")
REPEATING = ("notifications", "backoffice")


def emitted(service: str) -> dict[str, str]:
    """String constants shaped like a code in a service's sources, with where each was found; the names in an
    `__all__`, environment variable names, and the refusal codes of a person's requests (never on a status: they
    have their own list, REQUEST_REFUSAL_CODES) are not reason codes."""
    return {code: where for code, where in code_shaped(service).items() if code not in REQUEST_REFUSAL_CODES}


def code_shaped(service: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(ROOT.glob(f"services/{service}/src/**/*.py")):
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


@pytest.mark.parametrize("service", DECIDING)
def test_every_code_a_deciding_service_emits_is_in_the_catalogue_as_its_own(service: str) -> None:
    codes = emitted(service)
    deciders = {
        code: {reason.service, *(use.service for use in reason.also_emitted_by)} for code, reason in catalogue().items()
    }
    missing = {code: where for code, where in codes.items() if code not in deciders}
    assert missing == {}, "codes emitted but not in reason-codes.v1.json"
    # A code found in a service's sources that the catalogue says another service decides is a copy, or a code the
    # catalogue gives to the wrong service.
    foreign = {code: where for code, where in codes.items() if service not in deciders[code]}
    assert foreign == {}, f"codes in {service}'s sources that the catalogue says {service} does not decide"
    assert codes, f"the scan found no code in {service}: it is not looking in the right place"


@pytest.mark.parametrize("service", REPEATING)
def test_every_code_the_other_services_name_is_in_the_catalogue(service: str) -> None:
    missing = {code: where for code, where in emitted(service).items() if code not in catalogue()}
    assert missing == {}, f"codes named in {service} but not in reason-codes.v1.json"


@pytest.mark.parametrize("service", DECIDING + REPEATING + ("gateway",))
def test_every_refusal_of_a_person_s_request_has_its_code_listed(service: str) -> None:
    refusal_shaped = {c: w for c, w in code_shaped(service).items() if "_REFUSED_" in c}
    unlisted = {c: w for c, w in refusal_shaped.items() if c not in REQUEST_REFUSAL_CODES}
    assert unlisted == {}, "a person's request refused with a code REQUEST_REFUSAL_CODES does not list"


def test_the_scan_finds_codes_of_each_deciding_service() -> None:
    assert {"SIREN_INVALID", "HOLDER_NAME_UNWRITABLE"} <= set(emitted("intake"))
    assert {"IBAN_SHARED", "REJECTED_AFTER_REVIEW", "INVOICE_OUTSIDE_PERIOD"} <= set(emitted("eligibility"))
    assert {"BUDGET_EXHAUSTED", "PAYMENT_BLOCKED"} <= set(emitted("payments"))


def test_the_catalogue_follows_its_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(json.loads(CATALOGUE_FILE.read_bytes()))]
    assert errors == []


def test_every_code_has_a_french_and_an_english_sentence() -> None:
    for code, reason in catalogue().items():
        assert reason.text_fr.strip() and reason.text_en.strip(), code
        assert reason.text_en != reason.text_fr, f"{code}: the English text is the French one"
        assert reason.text_fr.endswith(".") and reason.text_en.endswith("."), code
        assert (reason.detail_fr is None) == (reason.detail_en is None), code


def test_text_reads_the_catalogue_in_either_language() -> None:
    assert text("SIREN_INVALID") == "Le numéro SIREN indiqué contient une erreur."
    assert text("SIREN_INVALID", lang="en") == "The SIREN number you gave contains an error."
    assert text("SIREN_INVALID", lang="en-GB") == text("SIREN_INVALID", lang="en")
    assert text("SIREN_INVALID", lang="de") == text("SIREN_INVALID")
    assert text("NO_SUCH_CODE") is None


def test_every_status_a_code_applies_to_includes_those_of_the_other_services_that_emit_it() -> None:
    for code, reason in catalogue().items():
        for use in reason.also_emitted_by:
            assert set(use.statuses) <= set(reason.statuses), code


def test_the_intake_code_for_a_portal_naming_another_source_is_catalogued() -> None:
    reason = catalogue()["SOURCE_MISMATCH"]
    assert (reason.service, reason.statuses) == ("intake", ("refused",))


def test_each_specification_wording_is_quoted_from_the_specification() -> None:
    programmes = project_root().parent / "shared" / "programme"
    if not programmes.is_dir():
        pytest.skip("no ../shared beside this clone")
    quoted = {code: r for code, r in catalogue().items() if r.specification is not None}
    assert len(quoted) > 20
    for code, reason in quoted.items():
        assert reason.specification_source is not None, code
        spec = " ".join((programmes / reason.specification_source).read_text(encoding="utf-8").split())
        assert " ".join(reason.specification.split()) in spec, f"{code}: not the wording of the specification"


def test_every_code_of_the_first_programmes_specification_is_catalogued() -> None:
    spec = project_root().parent / "shared" / "programme" / "cheque-france-num-2021.md"
    if not spec.is_file():
        pytest.skip("no ../shared beside this clone")
    written = spec.read_text(encoding="utf-8")
    codes = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", written, flags=re.MULTILINE))
    codes |= set(re.findall(r"code\s+`([A-Z][A-Z0-9_]+)`", written))
    assert len(codes) > 20
    assert sorted(codes - {c for c, r in catalogue().items() if r.on_status}) == []


def test_the_documentation_is_the_catalogue() -> None:
    assert DOC.read_text(encoding="utf-8") == markdown(catalogue()), "docs/reason-codes.md is stale: run `make docs`"


def test_the_documentation_lists_every_code() -> None:
    written = DOC.read_text(encoding="utf-8")
    assert [code for code in catalogue() if f"| `{code}` |" not in written] == []
