"""Every column and every contract field whose name looks personal is declared in an inventory (issue 18).

The register (docs/privacy.md) lists what the inventories declare (guichet_<service>.privacy.INVENTORY); a column a
migration adds, or a field a contract gains, named like an e-mail, a phone, an IBAN, a name or an address, fails here
until it is declared. Read from the sources: the migrations (below) and the contract
models. The scan (below, marked e2e) finds what names miss: the seeded values themselves, in a running stack's six
databases, clear or sealed under a key still held.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import sys
import time
import types
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from guichet_common.contracts.backoffice import (
    BudgetV1,
    CommandOutcomeV1,
    EmailV1,
    JudgementV1,
    OperatorCommandV1,
    ReviewDecisionV1,
    SepaFileV1,
    SetAsideV1,
)
from guichet_common.contracts.bank_details import ClaimBankDetailsV1
from guichet_common.contracts.claim_submitted import ClaimSubmittedV1
from guichet_common.contracts.controls import ControlDecisionV1, ControlEventV1, RecoveryOrderEventV1
from guichet_common.contracts.internal import ApplicantContactV1, ClaimDecidedV1, ClaimRegisteredV1
from guichet_common.contracts.payments import PaymentIssuedV1, PaymentSettlementV1
from guichet_common.contracts.privacy import AccessResponseV1, ClaimKeysV1, PrivacyErasedV1
from guichet_common.contracts.registry import RegistryCompanyV1
from guichet_common.contracts.status import ClaimStatusV1
from guichet_common.privacy.inventory import Inventory
from guichet_common.topics import ALL_TOPICS, OPERATOR_COMMANDS, original_topic

SERVICES = ("intake", "eligibility", "payments", "notifications", "gateway", "backoffice")
# A name's words (split on "_") that say personal data: a person's name, contact, bank account, or a staff login.
PERSONAL_WORDS = {
    "name", "names", "email", "mail", "phone", "telephone", "iban", "bic", "holder", "beneficiary", "recipient",
    "address", "line1", "line2", "postcode", "city", "contact", "applicant", "nom", "prenom", "login", "actor",
}  # fmt: skip
# Named like personal data, and not: said why.
NOT_PERSONAL = {
    ("portals", "name"): "a portal's name (a public body's or a firm's system)",
    ("bank_files", "file_name"): "the name of a file the bank sent",
    ("sepa_files", "file_name"): "the name of a SEPA file payments wrote (batch id and date)",
    ("claim_statuses", "contact_due_at"): "the date a claim's contact data falls due for erasure",
    ("payments.sepa-files.v1", "file_name"): "the name of a SEPA file payments wrote (batch id and date)",
    # A recovery order names the account the firm repays to: the programme's own (the agency's), not a person's.
    ("payments.recovery-orders.v1", "creditor_name"): "the paying agency's name (the programme's debtor_name)",
    ("payments.recovery-orders.v1", "creditor_iban"): "the programme's own account (its debtor_iban)",
    ("payments.recovery-orders.v1", "creditor_bic"): "the programme's own bank (its debtor_bic)",
}
TOPIC_MODELS = {
    "claims.submitted.v1": ClaimSubmittedV1,
    "claims.bank-details.v1": ClaimBankDetailsV1,
    "registry.companies.v1": RegistryCompanyV1,
    "claims.status.v1": ClaimStatusV1,
    "payments.issued.v1": PaymentIssuedV1,
    "payments.settlements.v1": PaymentSettlementV1,
    "intake.claims-registered.v1": ClaimRegisteredV1,
    "intake.applicant-contacts.v1": ApplicantContactV1,
    "eligibility.decisions.v1": ClaimDecidedV1,
    "backoffice.review-decisions.v1": ReviewDecisionV1,
    **{spec.name: OperatorCommandV1 for spec in OPERATOR_COMMANDS.values()},
    "operations.command-outcomes.v1": CommandOutcomeV1,
    "operations.set-aside.v1": SetAsideV1,
    "eligibility.judgements.v1": JudgementV1,
    "payments.budgets.v1": BudgetV1,
    "notifications.emails.v1": EmailV1,
    "payments.sepa-files.v1": SepaFileV1,
    "privacy.claim-keys.v1": ClaimKeysV1,
    "privacy.erased.v1": PrivacyErasedV1,
    "privacy.access-responses.v1": AccessResponseV1,
    "backoffice.control-decisions.v1": ControlDecisionV1,
    "payments.controls.v1": ControlEventV1,
    "payments.recovery-orders.v1": RecoveryOrderEventV1,
}


# --- what the migrations leave and what the contracts hold, read from the sources ----------------------------------
ROOT = Path(__file__).resolve().parents[2]
COMMON_MIGRATIONS = ROOT / "libs" / "common" / "src" / "guichet_common" / "migrations"
CONSTRAINT_WORDS = {"constraint", "primary", "unique", "foreign", "check", "exclude", "like"}
_COMMENT = re.compile(r"--[^\n]*")
_CREATE = re.compile(r"create\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?(\w+)\s*\(", re.I)
_ALTER = re.compile(r"alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(\w+)\s+(.*?);", re.I | re.S)
_DROP_TABLE = re.compile(r"drop\s+table\s+(?:if\s+exists\s+)?(\w+)", re.I)


def _top_level_parts(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for character in text:
        if character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
        if character == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(character)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _body(sql: str, start: int) -> str:
    depth = 1
    for index in range(start, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[index], 0)
        if depth == 0:
            return sql[start:index]
    raise ValueError("unbalanced parentheses")


def apply_migration(sql: str, tables: dict[str, set[str]]) -> None:
    sql = _COMMENT.sub("", sql)
    events: list[tuple[int, str, re.Match[str]]] = [
        *((m.start(), "create", m) for m in _CREATE.finditer(sql)),
        *((m.start(), "alter", m) for m in _ALTER.finditer(sql)),
        *((m.start(), "drop", m) for m in _DROP_TABLE.finditer(sql)),
    ]
    for _, kind, match in sorted(events, key=lambda event: event[0]):
        table = match.group(1).lower()
        if kind == "create":
            columns = tables.setdefault(table, set())
            for part in _top_level_parts(_body(sql, match.end())):
                word = part.split()[0].strip('"').lower()
                if word not in CONSTRAINT_WORDS:
                    columns.add(word)
        elif kind == "drop":
            tables.pop(table, None)
        else:
            _alter(table, match.group(2), tables)


def _alter(table: str, actions: str, tables: dict[str, set[str]]) -> None:
    if renamed := re.fullmatch(r"\s*rename\s+to\s+(\w+)\s*", actions, re.I):
        tables[renamed.group(1).lower()] = tables.pop(table, set())
        return
    columns = tables.setdefault(table, set())
    for action in _top_level_parts(actions):
        if added := re.match(r"add\s+(?:column\s+)?(?:if\s+not\s+exists\s+)?(\w+)", action, re.I):
            if added.group(1).lower() not in CONSTRAINT_WORDS:
                columns.add(added.group(1).lower())
        elif dropped := re.match(r"drop\s+column\s+(?:if\s+exists\s+)?(\w+)", action, re.I):
            columns.discard(dropped.group(1).lower())
        elif moved := re.match(r"rename\s+(?:column\s+)?(\w+)\s+to\s+(\w+)", action, re.I):
            columns.discard(moved.group(1).lower())
            columns.add(moved.group(2).lower())


def service_tables(service: str) -> dict[str, set[str]]:
    """Table -> columns in `service`'s database once the common and its own migrations ran (in their order)."""
    tables: dict[str, set[str]] = {}
    for path in sorted(COMMON_MIGRATIONS.glob("*.sql")):
        apply_migration(path.read_text(encoding="utf-8"), tables)
    for path in sorted((ROOT / "services" / service / "migrations").glob("*.sql")):
        apply_migration(path.read_text(encoding="utf-8"), tables)
    return tables


def _models_in(annotation: object) -> Iterator[tuple[type[BaseModel], bool]]:
    """The pydantic models an annotation holds, and whether inside a list (or another collection)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, False
        return
    origin = typing.get_origin(annotation)
    for argument in typing.get_args(annotation):
        for model, _ in _models_in(argument):
            yield model, origin not in (typing.Union, types.UnionType, typing.Annotated, None)


def field_paths(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every field of `model` as a dotted path ("claim.contact.email"); a list's items are under the list's name."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        yield path
        for nested, _ in _models_in(info.annotation):
            yield from field_paths(nested, f"{path}.")


def looks_personal(name: str) -> bool:
    return bool(PERSONAL_WORDS & set(re.split(r"[_.]", name.lower())))


def inventory(service: str) -> Inventory:
    module = f"guichet_{service}.privacy"
    try:
        return importlib.import_module(module).INVENTORY
    except (ModuleNotFoundError, AttributeError) as error:
        pytest.fail(f"{module}.INVENTORY is missing ({error}): every service declares its personal data")


def all_inventories() -> list[Inventory]:
    return [inventory(service) for service in SERVICES]


def covers(declared: str, path: str) -> bool:
    """A declaration of `payload.contact` covers `payload.contact.email`; of `claim.contact.email`, that field."""
    return path == declared or path.startswith(declared + ".") or declared.startswith(path + ".")


def test_every_topic_has_its_contract_here() -> None:
    assert {spec.name for spec in ALL_TOPICS} == set(TOPIC_MODELS), "map the new topic to its contract model"


@pytest.mark.parametrize("service", SERVICES)
def test_every_personal_column_of_the_services_tables_is_declared(service: str) -> None:
    fields = [f for f in inventory(service).fields if f.place == "table"]
    undeclared = sorted(
        f"{table}.{column}"
        for table, columns in service_tables(service).items()
        for column in columns
        if looks_personal(column)
        and (table, column) not in NOT_PERSONAL
        and not any(f.name == table and covers(f.field, column) for f in fields)
    )
    assert not undeclared, (
        f"{service}: columns named like personal data, not in guichet_{service}.privacy: {undeclared}"
    )


def test_every_personal_field_of_the_contracts_is_declared() -> None:
    declared = [(original_topic(f.name), f.field) for i in all_inventories() for f in i.fields if f.place == "topic"]
    undeclared = sorted(
        f"{topic}: {path}"
        for topic, model in TOPIC_MODELS.items()
        for path in field_paths(model)
        if looks_personal(path.rsplit(".", 1)[-1])
        and (topic, path) not in NOT_PERSONAL
        and not any(name == topic and covers(field, path) for name, field in declared)
    )
    assert not undeclared, f"contract fields named like personal data, declared by no inventory: {undeclared}"


def test_the_name_rule_sees_what_it_must() -> None:
    for name in ("email", "full_name", "legal_name", "holder_name", "iban_last4", "line1", "recipient", "login"):
        assert looks_personal(name), name
    for name in ("claim_id", "siren", "amount_cents", "status", "programme", "reason"):
        assert not looks_personal(name), name


# --- what a demo leaves: the seeded values found in the six databases -----------------------------------------------

SCAN_CLAIMS = 40


def declared_columns(service: str) -> set[tuple[str, str]]:
    """(table, column) pairs the service declares; a JSON path declares its column (`payload.contact.email`)."""
    return {(f.name, f.field.split(".")[0]) for f in inventory(service).fields if f.place == "table"}


async def settled_findings(stack, people: list, scan) -> list:
    """The scan once three rounds in a row agree: every service (the back-office's projection too) caught up."""
    rounds: list[list] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        keys = await scan.held_keys(stack.database_urls, scan.master_key_of(stack.env))
        rounds.append(sorted(await scan.scan_databases(stack.database_urls, people, keys), key=repr))
        if len(rounds) >= 3 and rounds[-1] == rounds[-2] == rounds[-3] and rounds[-1]:
            return rounds[-1]
        await asyncio.sleep(3)
    raise AssertionError("the databases never settled")


@pytest.mark.e2e
async def test_every_column_a_demo_fills_with_seeded_personal_data_is_declared(
    infra, run_id: str, tmp_path: Path, private_stack
) -> None:
    from guichet_simulator.generator import generate_claims
    from guichet_simulator.publisher import publish_simulation

    # The auditor's scan beside the end-to-end privacy test: it opens sealed values with every key still held.
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    import e2e_privacy_scan as scan

    claims = generate_claims(SCAN_CLAIMS, seed=30, run_id=f"PI{run_id}", problem_share=0.3)
    people = [scan.Person.of(claim) for claim in claims]
    (tmp_path / "stack").mkdir()
    async with private_stack(f"pi{run_id}", tmp_path / "stack") as stack:
        await publish_simulation(claims, bootstrap_servers=infra.kafka_bootstrap, prefix=stack.topic_prefix)
        for service in SERVICES:
            await stack.until_ready(service)
        found = await settled_findings(stack, people, scan)
    services_found = {f.place.split(".")[0] for f in found}
    assert {"intake", "eligibility", "payments", "notifications", "backoffice"} <= services_found, services_found
    undeclared = sorted(
        {
            f"{f.place} ({f.label}{', sealed' if f.sealed_subject else ''})"
            for f in found
            if tuple(f.place.split(".")[1:3]) not in declared_columns(f.place.split(".")[0])
        }
    )
    assert not undeclared, f"seeded personal data in columns no inventory declares: {undeclared}"
