"""The acceptance corpus itself, checked without any infrastructure: its events are what each case says they are
(schema-valid or not, valid identifiers or not), its cases cannot interfere with one another, and it covers every
code of the programme specification (a new code in the spec fails here until a case covers it)."""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from schwifty import IBAN
from stdnum import luhn
from stdnum.fr import siren as siren_number
from stdnum.fr import siret as siret_number

from guichet_common.contracts import PUBLISHED
from guichet_common.settings import project_root

corpus = sys.modules["guichet_tests_corpus_cases"]  # loaded by this folder's conftest.py
CASES = corpus.CASES
SUBMISSIONS = corpus.all_submissions()

INTAKE_CODES = {"SCHEMA_INVALID", "SIREN_INVALID", "SIRET_INVALID", "IBAN_INVALID", "UNKNOWN_PROGRAMME"}
FINAL = {"refused", "rejected", "under_review", "payment_sent"}
WITH_REASONS = {"refused", "rejected", "under_review"}
CLAIM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{7,63}$")

# Codes the specification names outside its rule tables, and why this corpus does not exercise them.
NOT_EXERCISED = {
    "BUDGET_EXHAUSTED": "needs a budget smaller than the corpus; the corpus assumes a budget large enough for all",
}


def validator(topic: str) -> Draft202012Validator:
    schema = json.loads((PUBLISHED / f"{topic}.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())


def spec_path() -> Path:
    override = os.environ.get("GUICHET_SHARED_DIR")
    return (
        (Path(override) if override else project_root().parent / "shared") / "programme" / ("cheque-france-num-2021.md")
    )


def spec_text() -> str:
    if not spec_path().is_file():
        pytest.skip(f"no programme specification at {spec_path()} (set GUICHET_SHARED_DIR)")
    return spec_path().read_text(encoding="utf-8")


def table_codes(text: str) -> dict[str, set[str]]:
    """The codes of each rule table of the spec, by the heading the table sits under."""
    out: dict[str, set[str]] = {}
    heading = ""
    for line in text.splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif match := re.match(r"^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|", line):
            out.setdefault(heading, set()).add(match.group(1))
    return out


def sub_id(item) -> str:
    case, sub = item
    return f"{case.tag}:{sub.claim_id}:{sub.event_id[:8]}"


def expected_codes(sub) -> set[str]:
    return {code for _, codes in sub.expected for code in codes}


# ------------------------------------------------------------------------------------------------ the events


@pytest.mark.parametrize("item", SUBMISSIONS, ids=sub_id)
def test_each_claim_event_is_schema_valid_exactly_when_the_case_says_so(item) -> None:
    case, sub = item
    errors = [e.message for e in validator("claims.submitted.v1").iter_errors(sub.event)]
    if sub.schema_valid:
        assert not errors, f"{case.name}: {errors}"
        assert "SCHEMA_INVALID" not in expected_codes(sub)
    else:
        assert errors, f"{case.name}: meant to be schema-invalid, but it validates"
        assert sub.expected == corpus.refused("SCHEMA_INVALID")
    json.loads(sub.value().decode("utf-8"))  # what goes on the wire is UTF-8 JSON


def test_every_registry_record_is_schema_valid_and_about_an_applicant_of_its_case() -> None:
    check = validator("registry.companies.v1")
    for case in CASES:
        applicants = {sub.key for sub in case.submissions}
        for record in case.registry:
            assert not list(check.iter_errors(record)), (case.name, record)
            assert record["siren"] in applicants, (case.name, record["siren"])


def test_claim_ids_match_the_contract_and_event_ids_are_unique() -> None:
    for _, sub in SUBMISSIONS:
        assert CLAIM_ID.match(sub.claim_id), sub.claim_id
    event_ids = Counter(sub.event_id for _, sub in SUBMISSIONS)
    assert [e for e, n in event_ids.items() if n > 1] == []


def test_a_claim_id_repeats_only_as_a_duplicate_or_a_conflict_inside_its_case() -> None:
    seen: dict[str, tuple] = {}
    kinds = Counter()
    for case, sub in SUBMISSIONS:
        if sub.claim_id not in seen:
            seen[sub.claim_id] = (case, sub)
            continue
        first_case, first = seen[sub.claim_id]
        assert first_case is case, f"{sub.claim_id} is used by two cases"
        assert sub.event_id != first.event_id
        assert sub.key == first.key
        if sub.event["claim"] == first.event["claim"]:
            assert sub.expected == corpus.NOTHING, "a same-content redelivery must have no effect"
            kinds["duplicate"] += 1
        else:
            # Under a registered claim's id a conflict is dead-lettered (nothing on claims.status.v1); under a refused
            # submission's id it is refused (docs/reason-codes.md).
            assert sub.expected in (corpus.NOTHING, corpus.refused("CLAIM_ID_CONFLICT"))
            kinds["conflict"] += 1
    assert kinds == {"duplicate": 1, "conflict": 2}


def test_contacts_use_reserved_example_domains_only() -> None:
    for case, sub in SUBMISSIONS:
        email = sub.event["claim"].get("contact", {}).get("email")
        if email is not None:
            assert email.rsplit("@", 1)[1] in {"example.fr", "example.org"}, (case.name, email)


def fr_iban_problem(text: str) -> str | None:
    try:
        iban = IBAN(text)
    except ValueError as error:
        return str(error)
    if iban.country_code != "FR" or len(iban.compact) != 27:
        return "not a 27-character French IBAN"
    bban = iban.compact[4:]
    if corpus.rib_key(bban[:5], bban[5:10], bban[10:21]) != bban[21:]:
        return "bad RIB key"
    return None


def spec_siret_ok(siret: str) -> bool:
    """The spec's SIRET rule: Luhn, except La Poste's (356000000...) whose digit sum must be a multiple of 5.
    (Not stdnum's `siret.is_valid`, which also rejects a SIRET whose SIREN part fails: that is SIREN_INVALID.)"""
    if siret.startswith(corpus.LA_POSTE_SIREN):
        return sum(map(int, siret)) % 5 == 0
    return luhn.is_valid(siret)


def test_the_spec_siret_rule_agrees_with_stdnum_where_both_apply() -> None:
    for _, sub in SUBMISSIONS:
        siret = sub.event["claim"].get("applicant", {}).get("siret", "")
        if len(siret) == 14 and siren_number.is_valid(siret[:9]):
            assert spec_siret_ok(siret) == siret_number.is_valid(siret), siret


@pytest.mark.parametrize("item", [i for i in SUBMISSIONS if i[1].schema_valid], ids=sub_id)
def test_intake_expectations_agree_with_independent_validators(item) -> None:
    """python-stdnum (SIREN, SIRET with its La Poste rule) and schwifty (IBAN) say what intake must refuse."""
    case, sub = item
    body = sub.event["claim"]
    applicant = body["applicant"]
    found = set()
    if not siren_number.is_valid(applicant["siren"]):
        found.add("SIREN_INVALID")
    if not spec_siret_ok(applicant["siret"]) or not applicant["siret"].startswith(applicant["siren"]):
        found.add("SIRET_INVALID")
    if fr_iban_problem(body["bank_account"]["iban"]):
        found.add("IBAN_INVALID")
    if body["programme"] != corpus.PROGRAMME:
        found.add("UNKNOWN_PROGRAMME")
    assert found == expected_codes(sub) & INTAKE_CODES, case.name
    if found:
        assert sub.expected == corpus.refused(*found), case.name


def test_the_la_poste_sirets_test_the_digit_sum_rule_not_plain_luhn() -> None:
    (case,) = [c for c in CASES if any(s.key == corpus.LA_POSTE_SIREN for s in c.submissions)]
    refused_one, accepted = (s.event["claim"]["applicant"]["siret"] for s in case.submissions)
    assert not luhn.is_valid(refused_one) and sum(map(int, refused_one)) % 5 != 0
    assert not luhn.is_valid(accepted) and sum(map(int, accepted)) % 5 == 0
    assert siren_number.is_valid(corpus.LA_POSTE_SIREN)


def test_cases_cannot_trip_each_other() -> None:
    """No SIREN, IBAN, invoice (supplier + number), claim_id or e-mail is shared between two cases, nor with the
    identifiers the other e2e tests of the session use."""
    owners: dict[tuple[str, str], str] = {}

    def claim_for(kind: str, value: str, case) -> None:
        owner = owners.setdefault((kind, value), case.name)
        assert owner == case.name, f"{kind} {value} is used by {owner!r} and {case.name!r}"

    for case, sub in SUBMISSIONS:
        body = sub.event["claim"]
        claim_for("siren", sub.key, case)
        claim_for("claim_id", sub.claim_id, case)
        claim_for("iban", body["bank_account"]["iban"], case)
        if "contact" in body:
            claim_for("email", body["contact"]["email"], case)
        for inv in body.get("invoices", []):
            for supplier in (inv.get("supplier_siren"), inv.get("supplier_vat_number")):
                if supplier:
                    claim_for("invoice", f"{supplier}/{inv['invoice_number']}", case)
        assert sub.key not in corpus.FOREIGN_SIRENS
        assert body["bank_account"]["iban"] not in corpus.FOREIGN_IBANS
    for case in CASES:
        for record in case.registry:
            claim_for("siren", record["siren"], case)


def test_identifiers_are_shared_between_sirens_only_where_the_case_tests_that() -> None:
    """Inside a case, an IBAN or an invoice (supplier + number) on claims of several SIRENs is there on purpose:
    only IBAN_SHARED and INVOICE_REUSED cases do it (and the e2e test publishes their claims in order)."""
    for case in CASES:
        sirens: dict[tuple[str, str], set[str]] = {}
        for sub in case.submissions:
            body = sub.event["claim"]
            sirens.setdefault(("iban", body["bank_account"]["iban"]), set()).add(sub.key)
            for inv in body.get("invoices", []):
                for supplier in (inv.get("supplier_siren"), inv.get("supplier_vat_number")):
                    if supplier:
                        sirens.setdefault(("invoice", f"{supplier}/{inv['invoice_number']}"), set()).add(sub.key)
        kinds = {kind for (kind, _), holders in sirens.items() if len(holders) > 1}
        if "iban" in kinds:
            assert "IBAN_SHARED" in case.codes, case.name
        if "invoice" in kinds:
            assert "INVOICE_REUSED" in case.codes, case.name


# ------------------------------------------------------------------------------------------ the expectations


def test_expected_sequences_follow_the_reporting_conventions() -> None:
    for case, sub in SUBMISSIONS:
        if sub.expected == corpus.NOTHING:
            continue
        statuses = [status for status, _ in sub.expected]
        assert statuses[0] == "received", case.name
        assert statuses[-1] in FINAL, case.name
        if "approved" in statuses:
            assert sub.expected == corpus.APPROVED, case.name
        for status, codes in sub.expected:
            assert bool(codes) == (status in WITH_REASONS), (case.name, status)


def test_decisions_name_their_rule_version_and_both_versions_have_good_claims() -> None:
    approved = Counter()
    for case, sub in SUBMISSIONS:
        decided = any(status in corpus.DECISIONS for status, _ in sub.expected)
        in_window = corpus.rule_version_for(sub.event["claim"]["submitted_at"]) is not None
        assert (sub.rule_version is not None) == (decided and in_window), case.name
        if sub.expected == corpus.APPROVED:
            approved[sub.rule_version] += 1
    assert approved["2021-01-28"] >= 5 and approved["2021-05-10"] >= 5, approved


def test_rule_versions_follow_the_paris_calendar() -> None:
    assert corpus.rule_version_for("2021-01-27T23:59:59+01:00") is None
    assert corpus.rule_version_for("2021-01-27T23:30:00Z") == "2021-01-28"
    assert corpus.rule_version_for("2021-05-09T23:59:59+02:00") == "2021-01-28"
    assert corpus.rule_version_for("2021-05-09T22:30:00Z") == "2021-05-10"
    assert corpus.rule_version_for("2021-07-31T23:59:59+02:00") == "2021-05-10"
    assert corpus.rule_version_for("2021-07-31T22:00:00Z") is None


# ------------------------------------------------------------------------------------------------ coverage


def test_the_spec_tables_are_found() -> None:
    tables = table_codes(spec_text())
    assert len(tables) == 3, tables  # intake refusals, eligibility rejections, manual review
    assert sum(len(codes) for codes in tables.values()) >= 20


def test_every_code_of_the_specification_is_covered() -> None:
    text = spec_text()
    in_tables = set().union(*table_codes(text).values())
    covered = set().union(*(case.codes for case in CASES))
    assert sorted(in_tables - covered) == [], "codes of the specification no case covers"
    assert sorted(covered - in_tables) == [], "codes the corpus expects but the specification does not define"
    elsewhere = set(re.findall(r"`([A-Z][A-Z0-9]*_[A-Z0-9_]+)`", text)) - in_tables
    assert sorted(elsewhere - set(NOT_EXERCISED)) == [], "codes of the spec outside its tables: cover or exclude"


def test_every_code_is_tested_alone_at_least_once() -> None:
    """So that a failing case points at one rule, not at a combination."""
    alone = Counter()
    for _, sub in SUBMISSIONS:
        for _, codes in sub.expected:
            if len(codes) == 1:
                alone[next(iter(codes))] += 1
    in_tables = set().union(*table_codes(spec_text()).values())
    assert sorted(code for code in in_tables if not alone[code]) == []


def test_several_failing_codes_are_expected_together_somewhere() -> None:
    multi = [case.name for case, sub in SUBMISSIONS if any(len(codes) > 1 for _, codes in sub.expected)]
    assert len(multi) >= 4


def test_the_corpus_is_the_intended_size() -> None:
    assert 60 <= len(CASES) <= 90
    assert len({case.name for case in CASES}) == len(CASES), "case names must be unique"
