"""The acceptance corpus's builders: the applicant of a case (`company`), the event makers (`registry`, `invoice`,
`claim`, `submit`, `redelivered`), the `case` context manager and `simple()` that register cases into `CASES`, and
small helpers for the case modules and the tests.

Part of the corpus loaded through `cases.py` (which puts this folder on sys.path): import it from there.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable

from corpus_model import (
    DECISIONS,
    IDS,
    NOTHING,
    PROGRAMME,
    SUPPLIER_SIREN,
    SUPPLIER_VAT,
    V1_AT,
    Case,
    Company,
    Status,
    Submission,
    rule_version_for,
    siret_of,
)

from guichet_common.contracts import EXAMPLES

# ---------------------------------------------------------------------------------------- applicants of a case

_CURRENT_TAG: list[str] = []
_COMPANIES_IN_CASE: list[int] = [0]


def company(label: str, *, siren: str | None = None) -> Company:
    """A fresh applicant of the current case: the first is tagged like the case (K017), the next K017B, K017C..."""
    _COMPANIES_IN_CASE[0] += 1
    tag = _CURRENT_TAG[-1] + ("" if _COMPANIES_IN_CASE[0] == 1 else "ABCDEFGHIJ"[_COMPANIES_IN_CASE[0] - 1])
    number = siren or IDS.siren()
    return Company(tag=tag, siren=number, siret=siret_of(number), iban=IDS.iban(), name=f"{label} {tag}")


# ----------------------------------------------------------------------------------------------- event makers


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


EXAMPLE_CLAIM = example("claims.submitted.v1")
EXAMPLE_REGISTRY = example("registry.companies.v1")


def registry(co: Company, **changes: object) -> dict:
    """The example registry record, for `co`: active, created 2012-03-20, NAF 47.71Z, band 02 (3-5)."""
    record = copy.deepcopy(EXAMPLE_REGISTRY)
    record.update(siren=co.siren, denominationUniteLegale=co.name.upper())
    record.update(changes)
    return record


def invoice(
    co: Company,
    suffix: str,
    *,
    incl: int = 66_000,
    issued_on: str = "2020-11-20",
    supplier_siren: str | None = SUPPLIER_SIREN,
    vat: str | None = None,
    category: str = "ecommerce_site",
    supplier_name: str = "Atelier Web Angevin",
    excl: int | None = None,
) -> dict:
    inv = {
        "invoice_number": f"{co.tag}-{suffix}",
        "issued_on": issued_on,
        "supplier_name": supplier_name,
        "amount_excl_tax_cents": incl * 5 // 6 if excl is None else excl,
        "amount_incl_tax_cents": incl,
        "category": category,
    }
    if supplier_siren is not None:
        inv["supplier_siren"] = supplier_siren
    if vat is not None:
        inv["supplier_vat_number"] = vat
    return inv


def default_invoices(co: Company) -> list[dict]:
    """The example's two invoices (web agency by SIREN, host by VAT number), 80,400 cents incl. tax, Nov. 2020."""
    return [
        invoice(co, "W1", incl=66_000, issued_on="2020-11-20"),
        invoice(
            co,
            "H1",
            incl=14_400,
            issued_on="2020-11-21",
            supplier_siren=None,
            vat=SUPPLIER_VAT,
            supplier_name="Hébergeur Numérique SAS",
            category="hosting_domain_security",
        ),
    ]


_EVENT_NS = uuid.UUID("0b7c7c1e-2f51-4a8e-9c3e-5f0c0f9a2021")
_EVENT_SEQ: dict[str, int] = {}


def _event_id(claim_id: str) -> str:
    _EVENT_SEQ[claim_id] = _EVENT_SEQ.get(claim_id, 0) + 1
    return str(uuid.uuid5(_EVENT_NS, f"{claim_id}#{_EVENT_SEQ[claim_id]}"))


def _occurred_after(submitted_at: str) -> str:
    instant = dt.datetime.fromisoformat(submitted_at.replace("Z", "+00:00")) + dt.timedelta(seconds=4)
    text = instant.isoformat()
    return text.replace("+00:00", "Z") if submitted_at.endswith("Z") else text


def claim(
    co: Company,
    number: int = 1,
    *,
    submitted_at: str = V1_AT,
    programme: str = PROGRAMME,
    headcount: int = 3,
    turnover: int = 31_000_000,
    started: str = "2012-04-01",
    closed: bool = True,
    rcs_rm: bool = True,
    manager_full_time: bool = False,
    naf: str = "47.71Z",
    postcode: str = "49100",
    city: str = "Angers",
    invoices: list[dict] | None = None,
    declarations: dict[str, bool] | None = None,
    filed_by: dict | None = None,
    siren: str | None = None,
    siret: str | None = None,
    iban: str | None = None,
    edit: Callable[[dict], None] | None = None,
) -> dict:
    """The contract example claim, for `co`, with the given changes. `edit` may then break it at will."""
    event = copy.deepcopy(EXAMPLE_CLAIM)
    body = event["claim"]
    claim_id = f"CFN-{co.tag}-{number}"
    event["occurred_at"] = _occurred_after(submitted_at)
    body["claim_id"] = claim_id
    body["programme"] = programme
    body["submitted_at"] = submitted_at
    applicant = body["applicant"]
    applicant.update(
        siren=siren or co.siren,
        siret=siret or co.siret,
        legal_name=co.name,
        naf_code=naf,
        headcount=headcount,
        annual_turnover_cents=turnover,
        activity_started_on=started,
        closed_to_public_since_2020_10_30=closed,
        registered_rcs_rm=rcs_rm,
        manager_full_time_employee_since_2020_10_30=manager_full_time,
    )
    applicant["address"].update(line1=f"{int(co.tag[1:4])} rue des Lilas", postcode=postcode, city=city)
    body["contact"] = {
        "full_name": f"Contact {co.tag}",
        "email": f"{co.tag.lower()}@example.fr",
        "phone": "+33 6 12 34 56 78",
    }
    body["bank_account"] = {"iban": iban or co.iban, "holder_name": co.name.upper()}
    body["invoices"] = default_invoices(co) if invoices is None else invoices
    body["declarations"] = {
        "tax_and_social_obligations_met": True,
        "not_in_liquidation": True,
        "information_accurate": True,
        **(declarations or {}),
    }
    body["filed_by"] = filed_by or {"kind": "applicant"}
    if edit is not None:
        edit(event)
    event["event_id"] = _event_id(claim_id)
    return event


def submit(event: dict, expected: tuple[Status, ...], *, schema_valid: bool = True) -> Submission:
    body = event["claim"]
    applicant = body.get("applicant", {})
    decided = any(status in DECISIONS for status, _ in expected)
    version = rule_version_for(body["submitted_at"]) if decided else None
    return Submission(event, str(applicant.get("siren", "")), tuple(expected), schema_valid, version)


def redelivered(sub: Submission, expected: tuple[Status, ...] = NOTHING, **claim_changes: object) -> Submission:
    """The same claim_id again, in a new event (new event_id); `claim_changes` alter its content (a conflict)."""
    event = copy.deepcopy(sub.event)
    event["claim"].update(claim_changes)
    event["event_id"] = _event_id(sub.claim_id)
    return submit(event, expected, schema_valid=sub.schema_valid)


# ------------------------------------------------------------------------------------------------ the corpus

CASES: list[Case] = []


class case:
    """Collects one case: `with case("name", "spec quote") as c:` then `c.registry(...)`, `c.submit(...)`."""

    def __init__(self, name: str, spec: str) -> None:
        self.name, self.spec = name, spec
        self._registry: list[dict] = []
        self._subs: list[Submission] = []

    def __enter__(self) -> case:
        _CURRENT_TAG.append(IDS.next_tag())
        _COMPANIES_IN_CASE[0] = 0
        self.tag = _CURRENT_TAG[-1]
        return self

    def __exit__(self, *exc: object) -> None:
        _CURRENT_TAG.pop()
        if exc[0] is None:
            CASES.append(Case(self.name, self.spec, tuple(self._registry), tuple(self._subs), self.tag))

    def registry(self, *records: dict) -> None:
        self._registry.extend(records)

    def submit(self, event: dict, expected: tuple[Status, ...], *, schema_valid: bool = True) -> Submission:
        sub = submit(event, expected, schema_valid=schema_valid)
        self._subs.append(sub)
        return sub

    def add(self, sub: Submission) -> Submission:
        self._subs.append(sub)
        return sub


def simple(
    name: str,
    spec: str,
    expected: tuple[Status, ...],
    *,
    record: bool | None = None,
    record_changes: dict | None = None,
    label: str = "Boutique",
    schema_valid: bool = True,
    **claim_changes: object,
) -> None:
    """A one-claim case: a fresh company, its registry record (by default unless intake refuses it), one claim."""
    if record is None:
        record = expected[-1][0] != "refused"
    with case(name, spec) as c:
        co = company(label)
        if record:
            c.registry(registry(co, **(record_changes or {})))
        invoices = claim_changes.pop("invoices", None)
        if callable(invoices):
            invoices = invoices(co)
        c.submit(claim(co, invoices=invoices, **claim_changes), expected, schema_valid=schema_valid)  # type: ignore[arg-type]


def _set(path: str, value: object) -> Callable[[dict], None]:
    def edit(event: dict) -> None:
        node = event
        *parents, leaf = path.split(".")
        for part in parents:
            node = node[part]
        node[leaf] = value

    return edit


def _drop(path: str) -> Callable[[dict], None]:
    def edit(event: dict) -> None:
        node = event
        *parents, leaf = path.split(".")
        for part in parents:
            node = node[part]
        del node[leaf]

    return edit


def two_invoices(tested: Callable[[Company], dict], base_incl: int = 40_000) -> Callable[[Company], list[dict]]:
    """An eligible 40,000-cent invoice plus the invoice under test (5,000 cents unless said otherwise): the claim
    reaches the 45,000 minimum if and only if the tested invoice is eligible."""
    return lambda co: [invoice(co, "B1", incl=base_incl, issued_on="2020-12-01"), tested(co)]


def tested_invoice(**kwargs: object) -> Callable[[Company], dict]:
    return lambda co: invoice(co, "T1", **{"incl": 5_000, "issued_on": "2021-01-15", **kwargs})  # type: ignore[arg-type]


def format_statuses(statuses: Iterable[Status]) -> str:
    parts = [status + ("{" + ",".join(sorted(codes)) + "}" if codes else "") for status, codes in statuses]
    return " → ".join(parts) if parts else "(nothing)"
