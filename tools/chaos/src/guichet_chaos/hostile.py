"""Hostile inputs for the adversarial scenario: claims, registry records, bank details, settlements and Kafka
headers carrying NUL, CR/LF, U+2028, bidi controls, NBSP, emoji, lone surrogates (escaped, and as raw invalid
UTF-8), huge / negative / NaN numbers, far dates at odd offsets, overlong strings, duplicate keys, wrong types, deep
nesting, records at the size limit and bytes that are not JSON at all.

Why hypothesis, and drawn through `@given` under `@seed`: its strategies already aim at the edges (empty and
maximal sizes, surrogates and control categories, NaN, infinities, the extremes of dates), they compose, and they
can serve a property test as well as this scenario. `@seed` + `@given` is its public way to draw reproducibly: the
same seed gives the same inputs on every machine, without `.example()` (meant for the REPL) or its internal engine.
Claims are built on normal claims of the run (their SIREN as key and their programme), so that hostile records meet
the normal ones in the same partitions, consumers and programme budget.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from guichet_chaos.hostile_values import DATE, HEADERS, NUMBER, TEXT, TIMESTAMP, WRONG_TYPE, hostile_key
from guichet_common.records import MAX_VALUE_BYTES
from guichet_simulator.generator import SimulatedClaim
from guichet_simulator.identifiers import random_iban, random_siren, random_siret

CLAIMS, BANK_DETAILS = "claims.submitted.v1", "claims.bank-details.v1"
REGISTRY, SETTLEMENTS = "registry.companies.v1", "payments.settlements.v1"


TEXT_FIELDS = (
    ("claim", "claim_id"), ("claim", "programme"), ("claim", "applicant", "legal_name"),
    ("claim", "applicant", "siren"), ("claim", "applicant", "siret"), ("claim", "applicant", "naf_code"),
    ("claim", "applicant", "address", "line1"), ("claim", "applicant", "address", "city"),
    ("claim", "applicant", "address", "postcode"), ("claim", "contact", "full_name"), ("claim", "contact", "email"),
    ("claim", "contact", "phone"), ("claim", "bank_account", "iban"), ("claim", "bank_account", "holder_name"),
    ("claim", "bank_account", "bic"), ("claim", "invoices", 0, "supplier_name"),
    ("claim", "invoices", 0, "invoice_number"), ("claim", "invoices", 0, "category"), ("source",), ("event_id",),
)  # fmt: skip
NUMBER_FIELDS = (
    ("claim", "applicant", "headcount"), ("claim", "applicant", "annual_turnover_cents"),
    ("claim", "invoices", 0, "amount_excl_tax_cents"), ("claim", "invoices", 0, "amount_incl_tax_cents"),
    ("schema_version",),
)  # fmt: skip
TIMESTAMP_FIELDS = (("claim", "submitted_at"), ("occurred_at",))
DATE_FIELDS = (("claim", "applicant", "activity_started_on"), ("claim", "invoices", 0, "issued_on"))
DUPLICABLE_KEYS = ("claim_id", "siren", "iban", "programme", "amount_incl_tax_cents", "submitted_at", "event_id")
_DEEP = "\u0000deep\u0000"  # stands for a deeply nested array in the serialised text


@dataclass(frozen=True)
class HostileInput:
    family: str  # what kind of hostility, for the report
    topic: str  # unprefixed
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()
    claim_id: str | None = None  # the claim whose statuses tell what became of this record, when it has one
    after: str | None = None  # a normal claim on the same key that must be published before this record


@dataclass
class _Draft:
    family: str
    topic: str
    body: Any = None  # a JSON-able object, or raw bytes
    key: bytes | None = b""
    headers: tuple[tuple[str, bytes | None], ...] = ()
    tracked: bool = True  # whether the body gets a claim_id of the run's own to follow it by
    ascii_json: bool = True
    duplicate_key: str | None = None
    deep: int = 0
    size_delta: int | None = None  # serialised to MAX_VALUE_BYTES + this
    after: str | None = None  # the normal claim this one was built on
    extra: dict = field(default_factory=dict)


EVENT_ID = "\u0000event_id\u0000"  # replaced by a unique one when materialised: a repeat would be deduplicated


def _mutated_claim(templates: st.SearchStrategy[SimulatedClaim]) -> st.SearchStrategy[_Draft]:
    @st.composite
    def build(draw: st.DrawFn) -> _Draft:
        template = draw(templates)
        body = json.loads(json.dumps(template.event))
        body["event_id"] = EVENT_ID
        draft = _Draft("claim", CLAIMS, body, key=template.siren.encode(), ascii_json=draw(st.booleans()))
        draft.after = template.claim_id
        kind = draw(st.sampled_from(("text",) * 6 + ("number",) * 3 + ("date",) * 3 + ("type",) * 2 + ("shape",) * 2))
        if kind == "text":
            path = draw(st.sampled_from(TEXT_FIELDS))
            _set(body, path, draw(TEXT))
            draft.tracked = path != ("claim", "claim_id")
        elif kind == "number":
            _set(body, draw(st.sampled_from(NUMBER_FIELDS)), draw(NUMBER))
        elif kind == "date":
            if draw(st.booleans()):
                _set(body, draw(st.sampled_from(TIMESTAMP_FIELDS)), draw(TIMESTAMP))
            else:
                _set(body, draw(st.sampled_from(DATE_FIELDS)), draw(DATE))
        elif kind == "type":
            _set(body, draw(st.sampled_from(TEXT_FIELDS + NUMBER_FIELDS + DATE_FIELDS)), draw(WRONG_TYPE))
        else:
            shape = draw(st.sampled_from(("duplicate key",) * 4 + ("deep nesting",) * 2 + ("size limit", "extra")))
            if shape == "duplicate key":
                draft.duplicate_key = draw(st.sampled_from(DUPLICABLE_KEYS))
            elif shape == "deep nesting":
                draft.deep = draw(st.sampled_from((64, 1_000, 5_000, 100_000)))
                body["claim"]["applicant"]["legal_name"] = _DEEP
            elif shape == "size limit":
                draft.size_delta = draw(st.sampled_from((-1, 0, 1)))
            else:
                body["claim"][draw(st.sampled_from(("x", "__proto__", "constructor")))] = draw(WRONG_TYPE)
        draft.family = f"claim {kind}"
        if draw(st.integers(0, 9)) == 0 and (key := draw(hostile_key(template.siren))) != draft.key:
            # Off its SIREN's partition it could overtake the normal claim: it gets a company of its own.
            draft.key = key
            _detach(body["claim"], random.Random(draw(st.integers(0, 2**32))))
        if draw(st.integers(0, 9)) == 0:
            draft.headers = draw(HEADERS)
        return draft

    return build()


def _reused_claim_id(templates: st.SearchStrategy[SimulatedClaim]) -> st.SearchStrategy[_Draft]:
    """Other content under a normal claim's id: must never touch that claim."""

    def build(template: SimulatedClaim, event_id: str, name: str) -> _Draft:
        body = json.loads(json.dumps(template.event))
        body["event_id"], body["claim"]["applicant"]["legal_name"] = event_id, name
        key = template.siren.encode()
        return _Draft("claim_id of a normal claim", CLAIMS, body, key=key, tracked=False, after=template.claim_id)

    return st.builds(build, templates, st.just(EVENT_ID), TEXT)


def _unreadable(templates: st.SearchStrategy[SimulatedClaim]) -> st.SearchStrategy[_Draft]:
    raw = st.one_of(
        st.binary(max_size=120),
        st.sampled_from((b"{this is not json", b"\xff\xfe\xfa", b"", b"null", b"[]", b"42", b'"x"', b"{}", b"\x00")),
        st.builds(lambda t: "\ufeff".encode() + json.dumps(t.event).encode(), templates),
        st.builds(lambda t: json.dumps(t.event).encode("utf-16"), templates),
        st.builds(lambda t: json.dumps(t.event).encode()[:-7], templates),
        st.builds(lambda t: json.dumps(t.event).encode() + b"}garbage", templates),
        st.none(),
    )
    return st.builds(
        lambda body, template, headers: _Draft(
            "not JSON", CLAIMS, body if body is not None else b"\x00null", key=template.siren.encode(),
            headers=headers, tracked=False, extra={"null_value": body is None},
        ),
        raw, templates, st.one_of(st.just(()), HEADERS),
    )  # fmt: skip


def _registry(templates: st.SearchStrategy[SimulatedClaim]) -> st.SearchStrategy[_Draft]:
    """A record for a SIREN of its own (a hostile one on a normal SIREN would change that claim's fate), with a
    claim for that SIREN so that eligibility reads it."""

    @st.composite
    def build(draw: st.DrawFn) -> _Draft:
        rng = random.Random(draw(st.integers(0, 2**32)))
        siren = random_siren(rng)
        record = {
            "siren": siren, "etatAdministratifUniteLegale": "A", "dateCreationUniteLegale": "2012-03-20",
            "activitePrincipaleUniteLegale": "47.71Z", "trancheEffectifsUniteLegale": "02",
            "denominationUniteLegale": "BOUTIQUE", "categorieJuridiqueUniteLegale": "5499",
        }  # fmt: skip
        name = draw(st.sampled_from(sorted(record)))
        record[name] = draw(st.one_of(TEXT, DATE, WRONG_TYPE, st.sampled_from(("C", "NN", "53", "00", ""))))
        claim = json.loads(json.dumps(draw(templates).event))
        claim["event_id"] = EVENT_ID
        _detach(claim["claim"], rng, siren)
        return _Draft("registry record", REGISTRY, record, key=siren.encode(), extra={"claim": claim})

    return build()


def _bank_details(templates: st.SearchStrategy[SimulatedClaim]) -> st.SearchStrategy[_Draft]:
    @st.composite
    def build(draw: st.DrawFn) -> _Draft:
        template = draw(templates)
        claim_id = template.claim_id
        body = {
            "event_id": EVENT_ID, "occurred_at": "2021-06-01T10:00:00+02:00", "claim_id": claim_id,
            "iban": "FR7630006000011234567890189", "holder_name": "BOUTIQUE", "bic": "AGRIFRPP",
        }  # fmt: skip
        name = draw(st.sampled_from(("iban", "holder_name", "bic", "occurred_at", "claim_id", "event_id")))
        body[name] = draw(st.one_of(TEXT, st.sampled_from(("AAAAFR1A", "@#%*", "FR76\xa03000")), WRONG_TYPE))
        key = claim_id.encode() if draw(st.integers(0, 4)) else draw(hostile_key(claim_id))
        headers = draw(st.one_of(st.just(()), HEADERS))
        draft = _Draft(f"bank details {name}", BANK_DETAILS, body, key=key, headers=headers, tracked=False)
        draft.after = template.claim_id
        return draft

    return build()


def _settlement() -> st.SearchStrategy[_Draft]:
    @st.composite
    def build(draw: st.DrawFn) -> _Draft:
        payment_id = EVENT_ID
        body = {
            "event_id": EVENT_ID, "occurred_at": "2021-06-01T10:00:00+02:00", "payment_id": payment_id,
            "status": "returned", "return_reason_code": "AC04", "value_date": "2021-06-01", "attempt": 1,
        }  # fmt: skip
        name = draw(st.sampled_from(sorted(body)))
        body[name] = draw(st.one_of(TEXT, NUMBER, TIMESTAMP, WRONG_TYPE))
        headers = draw(st.one_of(st.just(()), HEADERS))
        return _Draft(f"settlement {name}", SETTLEMENTS, body, key=payment_id.encode(), headers=headers, tracked=False)

    return build()


def hostile_drafts(normal_claims: list[SimulatedClaim]) -> st.SearchStrategy[_Draft]:
    """One hostile draft; claims weigh most, as most of the code they reach is intake's and eligibility's."""
    templates = st.sampled_from(normal_claims)
    return st.one_of(
        _mutated_claim(templates), _mutated_claim(templates), _mutated_claim(templates), _mutated_claim(templates),
        _unreadable(templates), _reused_claim_id(templates), _registry(templates), _bank_details(templates),
        _settlement(),
    )  # fmt: skip


def hostile_inputs(count: int, seed: int, templates: list[SimulatedClaim]) -> list[HostileInput]:
    """At least `count` hostile records (a registry draft brings its claim along), the same for the same seed."""
    drafts: list[_Draft] = []
    round_, strategy = 0, hostile_drafts(templates)
    while len(drafts) < count:  # hypothesis stops a round early when it finds nothing new to draw
        wanted = count - len(drafts)

        @hypothesis_seed(seed * 1_000 + round_)
        @settings(
            max_examples=wanted, database=None, deadline=None, phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        @given(strategy)
        def collect(draft: _Draft) -> None:
            drafts.append(draft)

        collect()
        round_ += 1
    return [record for n, draft in enumerate(drafts[:count]) for record in _materialise(draft, f"CFN-H{seed}-{n:07d}")]


def _materialise(draft: _Draft, claim_id: str) -> list[HostileInput]:
    tracked = claim_id if draft.tracked and draft.topic == CLAIMS else None
    if isinstance(draft.body, bytes):
        value: bytes | None = None if draft.extra.get("null_value") else draft.body
        return [HostileInput(draft.family, draft.topic, draft.key, value, draft.headers, after=draft.after)]
    if tracked:
        draft.body["claim"]["claim_id"] = claim_id
    _give_event_id(draft.body, claim_id)
    records = [
        HostileInput(draft.family, draft.topic, draft.key, _serialise(draft), draft.headers, tracked, draft.after)
    ]
    if "claim" in draft.extra:  # the registry record's companion claim, on the record's SIREN
        companion = draft.extra["claim"]
        companion["claim"]["claim_id"] = claim_id
        _give_event_id(companion, claim_id + "/claim")
        siren = companion["claim"]["applicant"]["siren"].encode()
        family = "claim on a hostile registry record"
        records.append(HostileInput(family, CLAIMS, siren, _encode(companion), (), claim_id))
    return records


def _serialise(draft: _Draft) -> bytes:
    text = json.dumps(draft.body, ensure_ascii=draft.ascii_json, allow_nan=True)
    if draft.duplicate_key and f'"{draft.duplicate_key}": ' in text:
        # The first occurrence gets a rival value before it: parsers disagree on which one wins.
        name = f'"{draft.duplicate_key}": '
        text = text.replace(name, f'{name}"DUP\\u0000", {name}', 1)
    if draft.deep:
        text = text.replace(json.dumps(_DEEP), "[" * draft.deep + "]" * draft.deep)
    value = text.encode("utf-8", "surrogatepass")  # lone surrogates become raw invalid UTF-8 when not escaped
    if draft.size_delta is not None:
        marker = b'"legal_name": "'
        padding = MAX_VALUE_BYTES + draft.size_delta - len(value)
        value = value.replace(marker, marker + b"x" * max(0, padding), 1)
    return value


def _encode(body: Any) -> bytes:
    return json.dumps(body, allow_nan=True).encode()


def _detach(claim: dict, rng: random.Random, siren: str | None = None) -> None:
    """A company, bank account and invoice numbers of the claim's own: a hostile claim that passes must not make
    a normal one ALREADY_AIDED, IBAN_SHARED or INVOICE_REUSED."""
    siren = siren or random_siren(rng)
    iban, bic = random_iban(rng)
    claim["applicant"].update(siren=siren, siret=random_siret(rng, siren))
    claim["bank_account"]["iban"] = iban
    if bic is None:
        claim["bank_account"].pop("bic", None)
    else:
        claim["bank_account"]["bic"] = bic
    for invoice in claim["invoices"]:
        invoice["invoice_number"] = f"H{rng.getrandbits(40):x}"


def _give_event_id(body: Any, name: str) -> None:
    if isinstance(body, dict) and body.get("event_id") == EVENT_ID:
        body["event_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"guichet-hostile/{name}"))


def _set(body: Any, path: tuple, value: Any) -> None:
    for step in path[:-1]:
        body = body[step]
    body[path[-1]] = value
