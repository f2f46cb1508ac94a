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
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from schwifty import IBAN
from stdnum import luhn

from guichet_common.contracts import EXAMPLES

PARIS = ZoneInfo("Europe/Paris")
PROGRAMME = "cheque-france-num-2021"

# The programme configuration references exactly these two SIRENs as digitalisation-support providers.
REFERENCED_PROVIDERS = ("534640974", "302466339")
NOT_REFERENCED_PROVIDER = "629923129"  # a valid SIREN that the configuration does NOT reference
LA_POSTE_SIREN = "356000000"
SUPPLIER_SIREN = "735911281"  # the example's web agency: valid, not a provider, never an applicant here
SUPPLIER_VAT = "FR40123456789"  # the example's host (VAT number only)

# Identifiers other e2e tests of the same session (one stack per session) use: the corpus never uses them.
FOREIGN_SIRENS = frozenset({"642515712", "732829320", "611037532", "642210199"})
FOREIGN_IBANS = frozenset(
    {
        "FR7693233145437431125912957",
        "FR7630001007941234567890185",
        "FR7630004000031234567890143",
        "FR7630006000011234567890189",
    }
)
RESERVED_SIRENS = FOREIGN_SIRENS | {*REFERENCED_PROVIDERS, NOT_REFERENCED_PROVIDER, LA_POSTE_SIREN, SUPPLIER_SIREN}

# Submission instants, one per rule version (Europe/Paris offsets).
V1_AT = "2021-03-02T10:15:00+01:00"  # rule version 2021-01-28
V2_AT = "2021-06-15T14:30:00+02:00"  # rule version 2021-05-10

DECISIONS = frozenset({"approved", "rejected", "under_review"})

Status = tuple[str, frozenset[str]]


def st(status: str, *codes: str) -> Status:
    return (status, frozenset(codes))


RECEIVED = st("received")
APPROVED = (RECEIVED, st("approved"), st("payment_scheduled"), st("payment_sent"))
NOTHING: tuple[Status, ...] = ()


def refused(*codes: str) -> tuple[Status, ...]:
    return (RECEIVED, st("refused", *codes))


def rejected(*codes: str) -> tuple[Status, ...]:
    return (RECEIVED, st("rejected", *codes))


def review(*codes: str) -> tuple[Status, ...]:
    return (RECEIVED, st("under_review", *codes))


def rule_version_for(submitted_at: str) -> str | None:
    """The rule version the specification assigns to a claim, judged on its Europe/Paris date; None outside."""
    day = dt.datetime.fromisoformat(submitted_at.replace("Z", "+00:00")).astimezone(PARIS).date()
    if dt.date(2021, 1, 28) <= day <= dt.date(2021, 5, 9):
        return "2021-01-28"
    if dt.date(2021, 5, 10) <= day <= dt.date(2021, 7, 31):
        return "2021-05-10"
    return None


# --------------------------------------------------------------------------------------------------- data model


@dataclass(frozen=True)
class Submission:
    """One claims.submitted.v1 event and the statuses it must add on claims.status.v1 (keyed by claim_id)."""

    event: dict
    key: str  # the Kafka key: the applicant SIREN, as sent
    expected: tuple[Status, ...]
    schema_valid: bool = True
    rule_version: str | None = None  # expected on decision statuses (approved / rejected / under_review)

    @property
    def claim_id(self) -> str:
        return self.event["claim"]["claim_id"]

    @property
    def event_id(self) -> str:
        return self.event["event_id"]

    def value(self) -> bytes:
        return json.dumps(self.event, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class Case:
    name: str
    spec: str  # the line of the specification it tests (short quote)
    registry: tuple[dict, ...]  # registry.companies.v1 records to publish first (key = siren)
    submissions: tuple[Submission, ...]  # published in order, each after the previous one's final status
    tag: str = ""

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(code for sub in self.submissions for _, codes in sub.expected for code in codes)

    @property
    def expected_by_claim(self) -> dict[str, list[Status]]:
        out: dict[str, list[Status]] = {}
        for sub in self.submissions:
            out.setdefault(sub.claim_id, []).extend(sub.expected)
        return out


# ------------------------------------------------------------------------------------------- identifier makers


def rib_key(bank: str, branch: str, account: str) -> str:
    """The French national check key (clé RIB) of a BBAN, letters of the account mapped as the norm says."""
    letters = {c: str("123456789123456789234567890"[i]) for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
    digits = "".join(letters.get(c, c) for c in account.upper())
    return f"{97 - ((89 * int(bank) + 15 * int(branch) + 3 * int(digits)) % 97):02d}"


def iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616 check digits (mod 97-10) for any BBAN: lets the corpus build a wrong-length IBAN whose mod-97 is OK."""
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{98 - int(numeric) % 97:02d}"


def with_luhn(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def siret_of(siren: str, establishment: int = 1) -> str:
    return with_luhn(f"{siren}{establishment:04d}")


@dataclass(frozen=True)
class Company:
    tag: str  # e.g. "K017": names claim ids, invoice numbers, e-mail
    siren: str
    siret: str
    iban: str
    name: str


class _Allocator:
    """Deterministic, never-repeating SIRENs (Luhn-valid) and French IBANs (valid RIB key and mod-97)."""

    def __init__(self) -> None:
        self._sirens = 0
        self._ibans = 0
        self._cases = 0

    def next_tag(self) -> str:
        self._cases += 1
        return f"K{self._cases:03d}"

    def siren(self) -> str:
        while True:
            self._sirens += 1
            candidate = with_luhn(f"{81_000_000 + self._sirens * 7_919:08d}")
            if candidate not in RESERVED_SIRENS:
                return candidate

    def iban(self) -> str:
        self._ibans += 1
        bank, branch, account = "30004", f"{10_000 + self._ibans:05d}", f"{7_000_000_000 + self._ibans * 37:011d}"
        generated = str(IBAN.generate("FR", bank_code=bank, branch_code=branch, account_code=account))
        assert generated[-2:] == rib_key(bank, branch, account), generated
        return generated


IDS = _Allocator()
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


def _build() -> None:
    # ---------------------------------------------------------------------------------------- good claims
    simple(
        "good claim, version 2021-01-28 (the contract example, own identifiers)",
        "flat 500 € grant ... on presentation of invoices",
        APPROVED,
    )
    simple(
        "good claim, version 2021-05-10, not closed to the public (E07 removed)",
        "`2021-05-10` | E07 and E08 removed; E09 added",
        APPROVED,
        submitted_at=V2_AT,
        closed=False,
    )
    simple(
        "good claim, version 2021-05-10, hotel",
        "hotel NAF codes ... 55.10Z",
        APPROVED,
        submitted_at="2021-07-20T09:00:00+02:00",
        naf="55.10Z",
        record_changes={"activitePrincipaleUniteLegale": "55.10Z"},
    )
    simple(
        "good claim filed by an accountant",
        "`filed_by.kind` is `digital_provider` (accountant is fine)",
        APPROVED,
        submitted_at=V2_AT,
        filed_by={"kind": "accountant", "siren": IDS.siren()},
    )
    simple(
        "good claim, spend well above the minimum: still a flat grant",
        "50,000 cents (500 €), flat, whatever the spend above the minimum",
        APPROVED,
        invoices=lambda co: [invoice(co, "BIG", incl=1_200_000, issued_on="2021-02-01", category="point_of_sale")],
    )

    # -------------------------------------------------------------------------------------- intake refusals
    simple(
        "SCHEMA_INVALID: headcount as a string",
        "does not match `claims.submitted.v1` (mistyped field)",
        refused("SCHEMA_INVALID"),
        edit=_set("claim.applicant.headcount", "three"),
        schema_valid=False,
    )
    simple(
        "SCHEMA_INVALID: contact missing",
        "does not match `claims.submitted.v1` (missing field)",
        refused("SCHEMA_INVALID"),
        edit=_drop("claim.contact"),
        schema_valid=False,
    )
    simple(
        "SCHEMA_INVALID: no invoice at all",
        "does not match `claims.submitted.v1` (wrong sizes)",
        refused("SCHEMA_INVALID"),
        invoices=lambda co: [],
        schema_valid=False,
    )
    simple(
        "SCHEMA_INVALID: SIREN of 8 digits (size, not Luhn)",
        "does not match ... (wrong sizes)",
        refused("SCHEMA_INVALID"),
        edit=lambda e: e["claim"]["applicant"].update(siren=e["claim"]["applicant"]["siren"][:8]),
        schema_valid=False,
    )
    simple(
        "SCHEMA_INVALID: an unknown field in the applicant",
        "does not match `claims.submitted.v1`",
        refused("SCHEMA_INVALID"),
        edit=_set("claim.applicant.vat_number", "FR00123456789"),
        schema_valid=False,
    )
    simple(
        "SCHEMA_INVALID: 21 invoices (at most 20)",
        "does not match ... (wrong sizes)",
        refused("SCHEMA_INVALID"),
        invoices=lambda co: [invoice(co, f"M{i:02d}", incl=3_000) for i in range(21)],
        schema_valid=False,
    )
    simple(
        "20 invoices (the maximum) are fine and summed",
        "summed over eligible invoices",
        APPROVED,
        invoices=lambda co: [invoice(co, f"M{i:02d}", incl=3_000) for i in range(20)],
    )

    with case("SIREN_INVALID: SIREN fails Luhn (its SIRET passes)", "SIREN fails the Luhn check") as c:
        co = company("Boutique")
        bad_siren = co.siren[:8] + str((int(co.siren[8]) + 1) % 10)
        c.submit(claim(co, siren=bad_siren, siret=with_luhn(bad_siren + "0001")), refused("SIREN_INVALID"))
    with case("SIRET_INVALID: SIRET fails Luhn", "SIRET fails the Luhn check") as c:
        co = company("Boutique")
        c.submit(claim(co, siret=co.siret[:13] + str((int(co.siret[13]) + 1) % 10)), refused("SIRET_INVALID"))
    with case("SIRET_INVALID: a Luhn-valid SIRET of another SIREN", "or does not start with the SIREN") as c:
        co, other = company("Boutique"), company("Autre")
        c.submit(claim(co, siret=other.siret), refused("SIRET_INVALID"))
    with case(
        "La Poste SIRETs: digit sum not a multiple of 5 refused, multiple of 5 accepted",
        "La Poste rule: SIRETs starting 356000000 are valid when their digit sum is a multiple of 5",
    ) as c:
        co = company("La Poste", siren=LA_POSTE_SIREN)
        c.registry(registry(co, denominationUniteLegale="LA POSTE", categorieJuridiqueUniteLegale="5510"))
        c.submit(claim(co, 1, siret="35600000010001"), refused("SIRET_INVALID"))  # sum 16, fails Luhn too
        c.submit(claim(co, 2, siret="35600000010000"), APPROVED)  # sum 15, fails plain Luhn: La Poste rule
    with case("IBAN_INVALID: mod-97 fails", "IBAN fails ISO 13616 mod-97") as c:
        co = company("Boutique")
        c.submit(claim(co, iban=co.iban[:-1] + str((int(co.iban[-1]) + 1) % 10)), refused("IBAN_INVALID"))
    with case("IBAN_INVALID: 26 characters for FR (mod-97 correct)", "or its country format") as c:
        co = company("Boutique")
        bban = co.iban[4:-1]  # 22 characters instead of 23
        c.submit(claim(co, iban="FR" + iban_check_digits("FR", bban) + bban), refused("IBAN_INVALID"))
    simple(
        "UNKNOWN_PROGRAMME",
        "`programme` is not configured",
        refused("UNKNOWN_PROGRAMME"),
        programme="cheque-france-num-2022",
    )
    with case("intake reports every failing code: bad SIRET and bad IBAN", "gets status `refused` with its codes") as c:
        co = company("Boutique")
        c.submit(
            claim(
                co,
                siret=co.siret[:13] + str((int(co.siret[13]) + 1) % 10),
                iban=co.iban[:-1] + str((int(co.iban[-1]) + 1) % 10),
            ),
            refused("SIRET_INVALID", "IBAN_INVALID"),
        )
    with case(
        "CLAIM_ID_CONFLICT: same claim_id, different content, after the first is registered",
        "the `claim_id` is already registered with different content",
    ) as c:
        co = company("Boutique")
        c.registry(registry(co))
        first = c.submit(claim(co), APPROVED)
        changed = copy.deepcopy(first.event["claim"]["invoices"])
        changed[0]["amount_incl_tax_cents"] += 100
        c.add(redelivered(first, refused("CLAIM_ID_CONFLICT"), invoices=changed))
    with case(
        "harmless duplicate: same claim_id, same content, new event_id",
        "the same content again is a harmless duplicate: no new effect",
    ) as c:
        co = company("Boutique")
        c.registry(registry(co))
        first = c.submit(claim(co), APPROVED)
        c.add(redelivered(first, NOTHING))

    # ------------------------------------------------------------------------------ FILED_OUTSIDE_WINDOW
    # Outside the window no rule version is defined: these claims satisfy E07, E08 and E09 so that the
    # expectation holds whichever version the system picks.
    simple(
        "window: one second before filing opens",
        "filing opens | 2021-01-28 00:00",
        rejected("FILED_OUTSIDE_WINDOW"),
        submitted_at="2021-01-27T23:59:59+01:00",
    )
    simple(
        "window: the instant filing opens",
        "filing opens | 2021-01-28 00:00",
        APPROVED,
        submitted_at="2021-01-28T00:00:00+01:00",
    )
    simple(
        "window: the last second of filing",
        "filing closes | 2021-07-31 23:59:59 (inclusive)",
        APPROVED,
        submitted_at="2021-07-31T23:59:59+02:00",
    )
    simple(
        "window: the instant after filing closes",
        "filing closes | 2021-07-31 23:59:59 (inclusive)",
        rejected("FILED_OUTSIDE_WINDOW"),
        submitted_at="2021-08-01T00:00:00+02:00",
    )
    simple(
        "window: UTC 2021-07-31T22:00Z is already 1 August in Paris",
        "Dates and times are judged in Europe/Paris",
        rejected("FILED_OUTSIDE_WINDOW"),
        submitted_at="2021-07-31T22:00:00Z",
    )
    simple(
        "window: UTC 2021-01-27T23:30Z is already 28 January in Paris",
        "Dates and times are judged in Europe/Paris",
        APPROVED,
        submitted_at="2021-01-27T23:30:00Z",
    )

    # ---------------------------------------------------------------------------- rule version boundary
    simple(
        "version 2021-01-28 on its last second: not closed to the public is rejected",
        "`2021-01-28` | 2021-01-28 to 2021-05-09",
        rejected("NOT_CLOSED_TO_PUBLIC"),
        submitted_at="2021-05-09T23:59:59+02:00",
        closed=False,
    )
    simple(
        "version 2021-05-10 from 2021-05-09T22:30Z (Paris date 10 May): not closed is fine",
        "`2021-05-10` | 2021-05-10 to 2021-07-31",
        APPROVED,
        submitted_at="2021-05-09T22:30:00Z",
        closed=False,
    )

    # ---------------------------------------------------------------------------------- COMPANY_CEASED
    simple(
        "COMPANY_CEASED: registry state C",
        "`etatAdministratifUniteLegale` = `C`",
        rejected("COMPANY_CEASED"),
        record_changes={"etatAdministratifUniteLegale": "C"},
    )

    # ------------------------------------------------------------------------------- HEADCOUNT_TOO_HIGH
    simple(
        "headcount: declared 10 is fine",
        "headcount | fewer than 11",
        APPROVED,
        headcount=10,
        record_changes={"trancheEffectifsUniteLegale": "03"},
    )
    simple(
        "headcount: declared 11 is rejected",
        "declared headcount ≥ 11",
        rejected("HEADCOUNT_TOO_HIGH"),
        headcount=11,
        record_changes={"trancheEffectifsUniteLegale": "11"},
    )
    simple(
        "headcount: registry band 11 (10-19) is fine",
        "registry headcount band is `12` (20–49) or above",
        APPROVED,
        headcount=9,
        record_changes={"trancheEffectifsUniteLegale": "11"},
    )
    simple(
        "headcount: registry band 12 (20-49) is rejected",
        "registry headcount band is `12` (20–49) or above",
        rejected("HEADCOUNT_TOO_HIGH"),
        headcount=9,
        record_changes={"trancheEffectifsUniteLegale": "12"},
    )
    simple(
        "headcount: registry band 21 (50-99) is rejected",
        "registry headcount band is `12` ... or above",
        rejected("HEADCOUNT_TOO_HIGH"),
        headcount=4,
        record_changes={"trancheEffectifsUniteLegale": "21"},
    )

    # ------------------------------------------------------------------------------- TURNOVER_TOO_HIGH
    simple(
        "turnover: exactly 200,000,000 cents is fine",
        "turnover | at most 200,000,000 cents",
        APPROVED,
        turnover=200_000_000,
    )
    simple(
        "turnover: 200,000,001 cents is rejected",
        "declared turnover above the threshold",
        rejected("TURNOVER_TOO_HIGH"),
        turnover=200_000_001,
    )

    # ----------------------------------------------------------------------------- ACTIVITY_TOO_RECENT
    simple(
        "activity: declared 2020-10-29 is fine",
        "activity start | strictly before 2020-10-30",
        APPROVED,
        started="2020-10-29",
        record_changes={"dateCreationUniteLegale": "2020-10-29"},
    )
    simple(
        "activity: declared 2020-10-30 is rejected",
        "activity started on or after 2020-10-30",
        rejected("ACTIVITY_TOO_RECENT"),
        started="2020-10-30",
        record_changes={"dateCreationUniteLegale": "2020-10-01"},
    )
    simple(
        "activity: registry creation 2020-10-30, later than declared, is rejected",
        "(declared, or registry creation date if later)",
        rejected("ACTIVITY_TOO_RECENT"),
        started="2019-06-01",
        record_changes={"dateCreationUniteLegale": "2020-10-30"},
    )
    simple(
        "activity: registry creation 2020-10-29, later than declared, is fine",
        "(declared, or registry creation date if later)",
        APPROVED,
        started="2019-06-01",
        record_changes={"dateCreationUniteLegale": "2020-10-29"},
    )
    simple(
        "activity: registry creation date unknown (null): the declared date decides",
        "(declared, or registry creation date if later)",
        APPROVED,
        started="2015-01-01",
        record_changes={"dateCreationUniteLegale": None},
    )

    # ---------------------------------------------------------------------------- NOT_CLOSED_TO_PUBLIC
    simple(
        "closure: version 2021-01-28, shop not closed to the public",
        "not declared closed to the public",
        rejected("NOT_CLOSED_TO_PUBLIC"),
        closed=False,
    )
    simple(
        "closure: version 2021-01-28, hotel 55.10Z not closed is exempt",
        "NAF not a hotel code",
        APPROVED,
        closed=False,
        naf="55.10Z",
        record_changes={"activitePrincipaleUniteLegale": "55.10Z"},
        label="Hôtel",
    )
    simple(
        "closure: version 2021-01-28, 55.20Z (holiday lets) is not a hotel code",
        "hotel NAF codes | 55.10Z",
        rejected("NOT_CLOSED_TO_PUBLIC"),
        closed=False,
        naf="55.20Z",
        record_changes={"activitePrincipaleUniteLegale": "55.20Z"},
    )
    simple(
        "closure: the same shop filed on 2021-05-10 00:00 is fine",
        "version `2021-01-28` only",
        APPROVED,
        closed=False,
        submitted_at="2021-05-10T00:00:00+02:00",
    )

    # --------------------------------------------------------------------------- NOT_REGISTERED_RCS_RM
    simple(
        "registration: version 2021-01-28, not registered with RCS/RM",
        "not registered with the RCS or RM",
        rejected("NOT_REGISTERED_RCS_RM"),
        rcs_rm=False,
    )
    simple(
        "registration: version 2021-05-10, not registered is fine",
        "version `2021-01-28` only",
        APPROVED,
        rcs_rm=False,
        submitted_at=V2_AT,
    )

    # ---------------------------------------------------------------------- MANAGER_EMPLOYED_FULL_TIME
    simple(
        "manager full time, headcount 0, version 2021-05-10",
        "manager held a full-time job ... headcount is 0",
        rejected("MANAGER_EMPLOYED_FULL_TIME"),
        submitted_at=V2_AT,
        manager_full_time=True,
        headcount=0,
        record_changes={"trancheEffectifsUniteLegale": "NN"},
    )
    simple(
        "manager full time, headcount 1, version 2021-05-10, is fine",
        "and headcount is 0",
        APPROVED,
        submitted_at=V2_AT,
        manager_full_time=True,
        headcount=1,
        record_changes={"trancheEffectifsUniteLegale": "01"},
    )
    simple(
        "manager full time, headcount 0, version 2021-01-28, is fine",
        "version `2021-05-10` only",
        APPROVED,
        manager_full_time=True,
        headcount=0,
        record_changes={"trancheEffectifsUniteLegale": "NN"},
    )

    # ---------------------------------------------------------------------------------- DECLARATION_MISSING
    for declaration in ("tax_and_social_obligations_met", "not_in_liquidation", "information_accurate"):
        simple(
            f"declaration {declaration} false",
            "any of the three declarations is false",
            rejected("DECLARATION_MISSING"),
            declarations={declaration: False},
        )
    simple(
        "all three declarations false: one code",
        "any of the three declarations is false",
        rejected("DECLARATION_MISSING"),
        submitted_at=V2_AT,
        declarations={
            "tax_and_social_obligations_met": False,
            "not_in_liquidation": False,
            "information_accurate": False,
        },
    )

    # ------------------------------------------------------------------------------------ OVERSEAS_EXCLUDED
    for postcode, city, where in (
        ("98600", "Mata-Utu", "Wallis-et-Futuna"),
        ("98714", "Papeete", "Polynésie"),
        ("98800", "Nouméa", "Nouvelle-Calédonie"),
    ):
        simple(
            f"overseas: {postcode} {where} excluded",
            "postcode starts 986, 987 or 988",
            rejected("OVERSEAS_EXCLUDED"),
            postcode=postcode,
            city=city,
        )
    simple(
        "overseas: 97100 Guadeloupe is not excluded",
        "excluded overseas postcodes | 986xx, 987xx, 988xx",
        APPROVED,
        postcode="97100",
        city="Basse-Terre",
        submitted_at=V2_AT,
    )

    # ---------------------------------------------------------------------------- FILED_BY_DIGITAL_PROVIDER
    simple(
        "filed by a digital provider",
        "`filed_by.kind` is `digital_provider`",
        rejected("FILED_BY_DIGITAL_PROVIDER"),
        filed_by={"kind": "digital_provider", "siren": REFERENCED_PROVIDERS[0]},
    )

    # ------------------------------------------------------------------------------ EXPENSES_BELOW_MINIMUM
    simple(
        "expenses: 44,999 cents incl. tax",
        "minimum eligible spend | 45,000 cents incl. tax",
        rejected("EXPENSES_BELOW_MINIMUM"),
        invoices=lambda co: [invoice(co, "A1", incl=30_000), invoice(co, "A2", incl=14_999, issued_on="2021-01-10")],
    )
    simple(
        "expenses: exactly 45,000 cents incl. tax (37,500 excl.)",
        "summed over eligible invoices",
        APPROVED,
        invoices=lambda co: [
            invoice(co, "A1", incl=30_000, excl=25_000),
            invoice(co, "A2", incl=15_000, excl=12_500, issued_on="2021-01-10"),
        ],
    )
    simple(
        "invoice dated 2020-10-29 is ineligible",
        "invoice date window | 2020-10-30 to 2021-06-30 inclusive",
        rejected("EXPENSES_BELOW_MINIMUM"),
        invoices=two_invoices(tested_invoice(issued_on="2020-10-29")),
    )
    simple(
        "invoice dated 2020-10-30 is eligible",
        "invoice date window | 2020-10-30 to 2021-06-30 inclusive",
        APPROVED,
        invoices=two_invoices(tested_invoice(issued_on="2020-10-30")),
    )
    simple(
        "invoice dated 2021-06-30 is eligible",
        "invoice date window | 2020-10-30 to 2021-06-30 inclusive",
        APPROVED,
        submitted_at="2021-07-05T09:00:00+02:00",
        invoices=two_invoices(tested_invoice(issued_on="2021-06-30")),
    )
    simple(
        "invoice dated 2021-07-01 is ineligible",
        "invoice date window | 2020-10-30 to 2021-06-30 inclusive",
        rejected("EXPENSES_BELOW_MINIMUM"),
        submitted_at="2021-07-05T09:00:00+02:00",
        invoices=two_invoices(tested_invoice(issued_on="2021-07-01")),
    )
    simple(
        "invoice dated the day after submission is ineligible",
        "never after the claim's `submitted_at` date",
        rejected("EXPENSES_BELOW_MINIMUM"),
        invoices=two_invoices(tested_invoice(issued_on="2021-03-03")),
    )
    simple(
        "invoice dated the Paris day of submission (UTC day before) is eligible",
        "never after the claim's `submitted_at` date; judged in Europe/Paris",
        APPROVED,
        submitted_at="2021-03-01T23:30:00Z",
        invoices=two_invoices(tested_invoice(issued_on="2021-03-02")),
    )
    with case(
        "invoice whose supplier is the applicant itself is ineligible",
        "when the supplier SIREN equals the applicant SIREN",
    ) as c:
        co = company("Boutique")
        c.registry(registry(co))
        c.submit(
            claim(co, invoices=two_invoices(tested_invoice(supplier_siren=co.siren, supplier_name=co.name))(co)),
            rejected("EXPENSES_BELOW_MINIMUM"),
        )
    for provider in REFERENCED_PROVIDERS:
        simple(
            f"digitalisation_support by referenced provider {provider} is eligible",
            "a `digitalisation_support` invoice's supplier is not a referenced provider",
            APPROVED,
            invoices=two_invoices(
                tested_invoice(
                    supplier_siren=provider,
                    category="digitalisation_support",
                    supplier_name="Conseil Numérique Référencé",
                )
            ),
        )
    simple(
        "digitalisation_support by a non-referenced supplier (629923129) is ineligible",
        "a `digitalisation_support` invoice's supplier is not a referenced provider",
        rejected("EXPENSES_BELOW_MINIMUM"),
        invoices=two_invoices(
            tested_invoice(
                supplier_siren=NOT_REFERENCED_PROVIDER, category="digitalisation_support", supplier_name="Conseil Libre"
            )
        ),
    )
    simple(
        "digitalisation_support by a supplier known only by a foreign VAT number is ineligible",
        "a `digitalisation_support` invoice's supplier is not a referenced provider",
        rejected("EXPENSES_BELOW_MINIMUM"),
        invoices=two_invoices(
            tested_invoice(
                supplier_siren=None, vat="DE123456789", category="digitalisation_support", supplier_name="Berater GmbH"
            )
        ),
    )
    simple(
        "a non-referenced supplier is fine for any other category",
        "a `digitalisation_support` invoice's ...",
        APPROVED,
        submitted_at=V2_AT,
        invoices=two_invoices(tested_invoice(supplier_siren=NOT_REFERENCED_PROVIDER, category="showcase_site")),
    )
    simple(
        "no eligible invoice at all",
        "the eligible invoices sum (incl. tax) below the minimum",
        rejected("EXPENSES_BELOW_MINIMUM"),
        submitted_at=V2_AT,
        invoices=lambda co: [invoice(co, "Z1", incl=90_000, issued_on="2020-09-15")],
    )

    # ------------------------------------------------------------------------------------- ALREADY_AIDED
    with case(
        "ALREADY_AIDED: a second claim of an approved SIREN", "another claim of the same SIREN is ... approved"
    ) as c:
        co = company("Boutique")
        c.registry(registry(co))
        c.submit(claim(co, 1), APPROVED)
        c.submit(
            claim(
                co,
                2,
                submitted_at="2021-04-12T11:00:00+02:00",
                invoices=[invoice(co, "S2", incl=70_000, issued_on="2021-03-30")],
            ),
            rejected("ALREADY_AIDED"),
        )
    with case(
        "a rejected first claim does not count: the second claim is approved",
        "already approved, waitlisted, under review, or paid",
    ) as c:
        co = company("Boutique")
        c.registry(registry(co))
        c.submit(claim(co, 1, declarations={"information_accurate": False}), rejected("DECLARATION_MISSING"))
        c.submit(
            claim(
                co,
                2,
                submitted_at="2021-03-20T16:00:00+01:00",
                invoices=[invoice(co, "S2", incl=70_000, issued_on="2021-03-01")],
            ),
            APPROVED,
        )
    with case(
        "ALREADY_AIDED when the first claim is under review; the review signal does not show on a rejection",
        "already ... under review",
    ) as c:
        co = company("Boutique")  # no registry record at all
        c.submit(claim(co, 1), review("REGISTRY_NO_RECORD"))
        c.submit(
            claim(co, 2, submitted_at=V2_AT, invoices=[invoice(co, "S2", incl=70_000, issued_on="2021-05-20")]),
            rejected("ALREADY_AIDED"),
        )

    # ------------------------------------------------------------------------------------- several codes
    simple(
        "several codes, version 2021-01-28: not closed, not registered, ceased, declaration",
        "all failing codes are reported, not only the first",
        rejected("NOT_CLOSED_TO_PUBLIC", "NOT_REGISTERED_RCS_RM", "COMPANY_CEASED", "DECLARATION_MISSING"),
        closed=False,
        rcs_rm=False,
        declarations={"tax_and_social_obligations_met": False},
        record_changes={"etatAdministratifUniteLegale": "C"},
    )
    simple(
        "several codes, version 2021-05-10: manager, too recent, spend, overseas",
        "all failing codes are reported, not only the first",
        rejected("MANAGER_EMPLOYED_FULL_TIME", "ACTIVITY_TOO_RECENT", "EXPENSES_BELOW_MINIMUM", "OVERSEAS_EXCLUDED"),
        submitted_at=V2_AT,
        manager_full_time=True,
        headcount=0,
        started="2020-11-15",
        postcode="98800",
        city="Nouméa",
        record_changes={"trancheEffectifsUniteLegale": "NN", "dateCreationUniteLegale": "2020-11-15"},
        invoices=lambda co: [invoice(co, "A1", incl=30_000, issued_on="2020-11-20")],
    )
    simple(
        "several codes: headcount (declared and band), turnover, digital provider",
        "all failing codes are reported, not only the first",
        rejected("HEADCOUNT_TOO_HIGH", "TURNOVER_TOO_HIGH", "FILED_BY_DIGITAL_PROVIDER"),
        headcount=25,
        turnover=250_000_000,
        filed_by={"kind": "digital_provider"},
        record_changes={"trancheEffectifsUniteLegale": "12"},
    )
    simple(
        "several codes: filed after closing, ceased, declaration false",
        "all failing codes are reported, not only the first",
        rejected("FILED_OUTSIDE_WINDOW", "COMPANY_CEASED", "DECLARATION_MISSING"),
        submitted_at="2021-08-02T10:00:00+02:00",
        declarations={"not_in_liquidation": False},
        record_changes={"etatAdministratifUniteLegale": "C"},
    )

    # ------------------------------------------------------------------------------------- manual review
    simple(
        "REGISTRY_NO_RECORD: no registry record for the SIREN",
        "the SIREN is not in the registry",
        review("REGISTRY_NO_RECORD"),
        record=False,
    )
    simple(
        "no registry record but rejected: only the rejection code",
        "when it would otherwise be approved",
        rejected("HEADCOUNT_TOO_HIGH"),
        record=False,
        headcount=11,
    )
    with case(
        "INVOICE_REUSED by supplier SIREN + number; a rejected reuser keeps only its rejection codes",
        "an invoice with the same supplier (SIREN or VAT) and number is on a claim of another SIREN",
    ) as c:
        first, second, third = company("Boutique"), company("Boutique"), company("Boutique")
        c.registry(registry(first), registry(second), registry(third))
        original = c.submit(claim(first), APPROVED).event["claim"]["invoices"][0]  # supplier SIREN, number K..-W1
        c.submit(
            claim(
                second,
                invoices=[
                    copy.deepcopy(original),
                    invoice(second, "H1", incl=14_400, supplier_siren=None, vat=SUPPLIER_VAT),
                ],
            ),
            review("INVOICE_REUSED"),
        )
        c.submit(
            claim(
                third,
                declarations={"information_accurate": False},
                invoices=[copy.deepcopy(original), invoice(third, "H1", incl=14_400)],
            ),
            rejected("DECLARATION_MISSING"),
        )
    with case("INVOICE_REUSED by supplier VAT number + number", "same supplier (SIREN or VAT) and number") as c:
        first, second = company("Boutique"), company("Boutique")
        c.registry(registry(first), registry(second))
        original = c.submit(claim(first), APPROVED).event["claim"]["invoices"][1]  # VAT only, number K..-H1
        c.submit(
            claim(second, submitted_at=V2_AT, invoices=[invoice(second, "W1", incl=40_000), copy.deepcopy(original)]),
            review("INVOICE_REUSED"),
        )
    with case("same invoice number from a different supplier is not a reuse", "same supplier ... and number") as c:
        first, second = company("Boutique"), company("Boutique")
        other_supplier = IDS.siren()
        c.registry(registry(first), registry(second))
        original = c.submit(claim(first), APPROVED).event["claim"]["invoices"][0]
        c.submit(
            claim(
                second,
                invoices=[
                    {**copy.deepcopy(original), "supplier_siren": other_supplier, "supplier_name": "Autre Agence"}
                ],
            ),
            APPROVED,
        )
    with case("no registry record and a reused invoice: both review codes", "goes to *manual review* ... when") as c:
        first, second = company("Boutique"), company("Boutique")
        c.registry(registry(first))  # none for `second`
        original = c.submit(claim(first), APPROVED).event["claim"]["invoices"][0]
        c.submit(claim(second, invoices=[copy.deepcopy(original)]), review("REGISTRY_NO_RECORD", "INVOICE_REUSED"))
    with case(
        "IBAN_SHARED: 3rd distinct SIREN with the same IBAN goes to review; a 4th rejected one stays rejected",
        "the IBAN is on claims of 3 or more distinct SIRENs (this claim included)",
    ) as c:
        shared = IDS.iban()
        companies = [company("Boutique") for _ in range(4)]
        c.registry(*(registry(co) for co in companies))
        c.submit(claim(companies[0], iban=shared), APPROVED)
        c.submit(claim(companies[1], iban=shared, submitted_at=V2_AT), APPROVED)
        c.submit(claim(companies[2], iban=shared), review("IBAN_SHARED"))
        c.submit(
            claim(companies[3], iban=shared, declarations={"not_in_liquidation": False}),
            rejected("DECLARATION_MISSING"),
        )


_build()

for _case in CASES:
    for _sub in _case.submissions:
        if _sub.expected and not _sub.schema_valid:
            assert _sub.expected == refused("SCHEMA_INVALID"), _case.name


def all_submissions(cases: Iterable[Case] = CASES) -> list[tuple[Case, Submission]]:
    return [(c, s) for c in cases for s in c.submissions]


def format_statuses(statuses: Iterable[Status]) -> str:
    parts = [status + ("{" + ",".join(sorted(codes)) + "}" if codes else "") for status, codes in statuses]
    return " → ".join(parts) if parts else "(nothing)"


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
