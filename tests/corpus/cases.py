"""Acceptance corpus for "Chèque France Num 2021", written from the programme specification
(`shared/programme/cheque-france-num-2021.md`) and the external contracts only, never from the services' code.

Every case starts from the contract example claim (`claims.submitted.v1.json`) and changes what it tests. Each case
has its own SIREN, SIRET, IBAN, contact and invoice numbers, so that cases never trip INVOICE_REUSED, IBAN_SHARED or
ALREADY_AIDED by accident; the cases that test those codes share identifiers *inside* the case, on purpose, and
publish their claims in order (each one after the previous claim's final status).

Conventions that are not rules of the specification but how this system reports:
- intake publishes `received` for every parsed submission, then `refused` with its codes when it refuses it;
- an approved claim is followed by `payment_scheduled` then `payment_sent` (the budget covers the whole corpus);
- `rejected`, `under_review` and `refused` are final here; a harmless duplicate publishes nothing new.

Import it by path (the repository runs pytest with `--import-mode=importlib`): see `load_corpus()` in the tests.

The corpus is split along its seams, all in this folder:
- `corpus_model.py`: constants, expected statuses, the data model, the identifier makers and the allocator `IDS`;
- `corpus_builders.py`: the event makers, `case`, `simple()` and the other helpers that register cases in `CASES`;
- `corpus_cases_*.py`: the cases by theme, each module a function that registers its cases.
This file is the single entry point: it builds the cases in a fixed order (identifiers are allocated in that order)
and exposes the names below.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

# Loaded by path (pytest runs with `--import-mode=importlib`), so this folder is not on sys.path: put it there, or the
# sibling modules below would not import.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

# Each load of this file builds the corpus afresh (a new allocator, a new CASES), as when it was a single module:
# forget the sibling modules an earlier load left in sys.modules.
for _sibling in (
    "corpus_model",
    "corpus_builders",
    "corpus_cases_intake",
    "corpus_cases_eligibility",
    "corpus_cases_expenses",
    "corpus_cases_review",
):
    sys.modules.pop(_sibling, None)

from corpus_builders import CASES, format_statuses  # noqa: E402
from corpus_cases_eligibility import build_eligibility_cases  # noqa: E402
from corpus_cases_expenses import build_expense_cases  # noqa: E402
from corpus_cases_intake import build_intake_cases  # noqa: E402
from corpus_cases_review import build_history_and_review_cases  # noqa: E402
from corpus_model import (  # noqa: E402
    APPROVED,
    DECISIONS,
    FOREIGN_IBANS,
    FOREIGN_SIRENS,
    LA_POSTE_SIREN,
    NOT_REFERENCED_PROVIDER,
    NOTHING,
    REFERENCED_PROVIDERS,
    Case,
    Status,
    Submission,
    iban_check_digits,
    refused,
    rejected,
    review,
    rib_key,
    rule_version_for,
)

# Not in __all__, but the contract tests read `corpus.PROGRAMME`: a redundant alias marks it re-exported.
from corpus_model import PROGRAMME as PROGRAMME  # noqa: E402

# The order of construction is the order of identifier allocation: never reorder these calls.
build_intake_cases()  # good claims, intake refusals
build_eligibility_cases()  # filing window, rule versions, rules on the applicant
build_expense_cases()  # invoices and the minimum spend
build_history_and_review_cases()  # earlier claims, several codes, manual review

for _case in CASES:
    for _sub in _case.submissions:
        if _sub.expected and not _sub.schema_valid:
            assert _sub.expected == refused("SCHEMA_INVALID"), _case.name


def all_submissions(cases: Iterable[Case] = CASES) -> list[tuple[Case, Submission]]:
    return [(c, s) for c in cases for s in c.submissions]


__all__ = [
    "APPROVED",
    "CASES",
    "DECISIONS",
    "FOREIGN_IBANS",
    "FOREIGN_SIRENS",
    "LA_POSTE_SIREN",
    "NOTHING",
    "NOT_REFERENCED_PROVIDER",
    "REFERENCED_PROVIDERS",
    "Case",
    "Status",
    "Submission",
    "all_submissions",
    "format_statuses",
    "iban_check_digits",
    "refused",
    "rejected",
    "review",
    "rib_key",
    "rule_version_for",
]
