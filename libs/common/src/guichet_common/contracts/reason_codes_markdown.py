"""`docs/reason-codes.md`, written from the catalogue: the tables come from `reason-codes.v1.json`, the prose
around them is here. `make docs` rewrites the page; `tests/contract/test_reason_codes.py` fails when it is stale."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from guichet_common.contracts.reason_codes import ReasonCode

HEADER = """\
# Reason codes

<!-- Written by `make docs` (python -m guichet_common.contracts.reason_codes --markdown) from
libs/common/src/guichet_common/contracts/published/reason-codes.v1.json: edit the catalogue, not this page. -->

Every code Guichet puts in the `reasons` of a `claims.status.v1` event, by the service that decides it, with its
condition, the sentence the applicant reads (the e-mails' French sentence, and its English version) and the
specification's wording. The codes of the specification (`../shared/programme/cheque-france-num-2021.md`,
`../shared/programme/cap-numerique-occitanie-2022.md`) keep its wording, quoted in the last column; the others are
Guichet's own.

The catalogue is machine-readable: `reason-codes.v1.json` beside the published contracts (in
`libs/common/src/guichet_common/contracts/published/`, JSON Schema `reason-codes.v1.schema.json`),
`guichet_common.contracts.reason_codes.catalogue()` in Python, and `GET /v1/reason-codes` on the gateway. The
e-mails (notifications) and eligibility's explanations (`guichet trace`, what-if) read their texts from it.
`tests/contract/test_reason_codes.py` fails when the services emit a code the catalogue lacks, when a code has no
English text, or when this page is stale.

A payment return also carries the bank's ISO 20022 return reason (`AC01`, `AC04`, … four characters) as its
reason; those are the bank's codes, not Guichet's, and the e-mail does not list them. A receiver shows a generic
sentence for a code it does not know: codes are only added within v1.
"""

AFTER_INTAKE = """\
A refusal is published as `received` then `refused` with every failing code. Intake keeps what it registers in
canonical form: the IBAN compact in upper case, and the holder name as the SEPA file will carry it (transliterated,
at most 70 characters).
"""

BEFORE_INVOICES = """\
These codes are not published on `claims.status.v1` and mail nobody: an invoice that does not count lowers the
eligible total, and the claim's own reason is then `EXPENSES_BELOW_MINIMUM`. Each is stored with its values in the
decision's rule results (`EXPENSES_BELOW_MINIMUM.observed.ineligible_invoices`), where `guichet trace` and what-if
render it (`guichet_eligibility/explain.py`, with the detail below, its `{placeholders}` filled with the invoice's
values).
"""

BEFORE_BANK_DETAILS = """\
New bank details on `claims.bank-details.v1` after a return are refused, and `payment_returned` is published
again with these codes as reasons (the contract has no status for refused details; the payment is still returned,
its expiry clock still runs, and notifications mails once per kind, so the applicant is not mailed twice):
"""

FOOTER = """\
## Why a `CLAIM_ID_CONFLICT` with a registered claim is not published

`claims.status.v1` is keyed by claim_id. A `refused` under a registered claim's id would tell the portal that
the registered claim was refused, and notifications (which keeps the first contact of a claim) would mail its
applicant that their claim could not be registered. The conflicting submission is therefore recorded in intake's
`refusals` (so `guichet trace` and the report show it) and sent to `claims.submitted.v1.dlq` with the reason
`CLAIM_ID_CONFLICT: …`, where operators see it (`guichet dlq list`, the dead-letter alert).
"""

Column = tuple[str, Callable[[ReasonCode], str]]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _specification(reason: ReasonCode) -> str:
    if reason.specification is None:
        return "— (Guichet's own)"
    return f"“{reason.specification}” (`{reason.specification_source}`)"


CODE: Column = ("code", lambda r: f"`{r.code}`")
CONDITION: Column = ("condition", lambda r: r.condition)
STATUS: Column = ("status", lambda r: ", ".join(f"`{s}`" for s in r.statuses))
FRENCH: Column = ("French text", lambda r: r.text_fr)
ENGLISH: Column = ("English text", lambda r: r.text_en)
SPECIFICATION: Column = ("specification", _specification)
DETAIL: Column = ("detail (French / English)", lambda r: f"{r.detail_fr or '—'} / {r.detail_en or '—'}")


@dataclass(frozen=True)
class Section:
    heading: str
    picks: Callable[[ReasonCode], bool]
    columns: tuple[Column, ...] = (CODE, CONDITION, FRENCH, ENGLISH, SPECIFICATION)
    before: str = ""
    after: str = ""


def _table(reasons: Iterable[ReasonCode], columns: tuple[Column, ...]) -> str:
    lines = ["| " + " | ".join(name for name, _ in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(value(r)) for _, value in columns) + " |" for r in reasons]
    return "\n".join(lines) + "\n"


def _also_by_payments(reason: ReasonCode) -> ReasonCode | None:
    """The code as payments uses it on new bank details, with payments' condition, if it does."""
    for use in reason.also_emitted_by:
        if use.service == "payments":
            return reason.model_copy(update={"condition": use.condition, "statuses": use.statuses})
    return None


SECTIONS = (
    Section(
        "## Intake: the submission is *refused* (status `refused`, never registered)",
        lambda r: r.service == "intake",
        after=AFTER_INTAKE,
    ),
    Section(
        "## Eligibility: the registered claim is *rejected* (status `rejected`)",
        lambda r: r.service == "eligibility" and "rejected" in r.statuses,
    ),
    Section(
        "## Eligibility: the claim goes to *manual review* (status `under_review`)",
        lambda r: r.service == "eligibility" and "under_review" in r.statuses,
    ),
    Section(
        "## Eligibility: why an invoice does not count (never on a status)",
        lambda r: r.service == "eligibility" and not r.on_status,
        columns=(CODE, CONDITION, FRENCH, ENGLISH, DETAIL, SPECIFICATION),
        before=BEFORE_INVOICES,
    ),
    Section(
        "## Payments",
        lambda r: r.service == "payments",
        columns=(CODE, STATUS, CONDITION, FRENCH, ENGLISH, SPECIFICATION),
    ),
)


def markdown(catalogue: Mapping[str, ReasonCode]) -> str:
    """The whole page, deterministic: the same catalogue always gives the same bytes."""
    parts = [HEADER]
    for section in SECTIONS:
        parts.append(section.heading + "\n")
        if section.before:
            parts.append(section.before)
        parts.append(_table((r for r in catalogue.values() if section.picks(r)), section.columns))
        if section.after:
            parts.append(section.after)
    reused = [again for r in catalogue.values() if (again := _also_by_payments(r)) is not None]
    parts.append(BEFORE_BANK_DETAILS)
    parts.append(_table(reused, (CODE, CONDITION, FRENCH, ENGLISH)))
    parts.append(FOOTER)
    return "\n".join(parts)
