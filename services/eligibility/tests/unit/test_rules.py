"""Each rule at its boundaries, then decisions as a whole. Dates are judged in Paris time."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from guichet_common.contracts import EXAMPLES, ClaimSubmittedV1
from guichet_common.settings import project_root
from guichet_eligibility import domain
from guichet_eligibility.domain import rules
from guichet_eligibility.translate import claim_facts
from guichet_programme import load_programmes

PARIS = ZoneInfo("Europe/Paris")
PROGRAMMES = load_programmes(project_root() / "programmes")
CFN = PROGRAMMES["cheque-france-num-2021"]
REGION = PROGRAMMES["pass-numerique-region-2021"]
EXAMPLE = claim_facts(
    ClaimSubmittedV1.model_validate_json((EXAMPLES / "claims.submitted.v1.json").read_bytes()).claim, "ab" * 32
)
ACTIVE = domain.RegistryFacts(state="A", created_on=dt.date(2012, 3, 20), headcount_band="02")


NO_HISTORY = domain.History()


def subject(registry: domain.RegistryFacts | None = ACTIVE, history=NO_HISTORY, programme=CFN, **claim):
    return domain.subject_for(dataclasses.replace(EXAMPLE, **claim), registry, history, programme)


def invoice(issued_on: dt.date, incl: int = 50_000, **changes) -> domain.InvoiceFacts:
    base = domain.InvoiceFacts("F-1", issued_on, "735911281", None, incl * 5 // 6, incl, "showcase_site")
    return dataclasses.replace(base, **changes)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def test_the_contract_example_is_approved_for_500_euros_under_the_first_version() -> None:
    decision = domain.decide(subject())
    assert (decision.outcome, decision.reasons, decision.rule_version, decision.grant_cents) == (
        "approved",
        (),
        "2021-01-28",
        50_000,
    )
    assert [r.code for r in decision.results] == list(CFN.rule_versions[0].rules)


def test_every_rule_reports_under_its_own_code() -> None:
    for code, rule in rules.RULES.items():
        assert rule(subject()).code == code


def test_every_configured_rule_exists() -> None:
    for programme in PROGRAMMES.values():
        domain.check_rules_exist(programme)
    broken = CFN.model_copy(update={"rule_versions": (CFN.rule_versions[0].model_copy(update={"rules": ("NOPE",)}),)})
    with pytest.raises(domain.UnknownRule, match=r"rule_versions\[0\].rules names unknown rules \['NOPE'\]"):
        domain.check_rules_exist(broken)


@pytest.mark.parametrize(
    ("submitted_at", "passes", "version"),
    [
        (at(2021, 1, 27, 23, 59, 59), False, "2021-01-28"),
        (at(2021, 1, 28, 0, 0), True, "2021-01-28"),
        (at(2021, 5, 9, 23, 59, 59), True, "2021-01-28"),
        (at(2021, 5, 10, 0, 0), True, "2021-05-10"),
        (dt.datetime(2021, 5, 9, 22, 30, tzinfo=dt.UTC), True, "2021-05-10"),  # already 10 May in Paris
        (at(2021, 7, 31, 23, 59, 59), True, "2021-05-10"),
        (at(2021, 8, 1, 0, 0), False, "2021-05-10"),
        (dt.datetime(2021, 7, 31, 22, 0, tzinfo=dt.UTC), False, "2021-05-10"),  # 1 August 00:00 in Paris
    ],
)
def test_filing_window_and_version_in_paris_time(submitted_at: dt.datetime, passes: bool, version: str) -> None:
    s = subject(submitted_at=submitted_at, invoices=(invoice(dt.date(2021, 1, 5)),))
    assert (rules.filed_within_window(s).passed, s.version.id) == (passes, version)


@pytest.mark.parametrize(
    ("headcount", "band", "passes"),
    [(10, "03", True), (11, "03", False), (3, "11", True), (3, "12", False), (3, None, True), (3, "53", False)],
)
def test_headcount_declared_or_registered(headcount: int, band: str | None, passes: bool) -> None:
    registry = dataclasses.replace(ACTIVE, headcount_band=band)
    assert rules.headcount_below_limit(subject(registry, headcount=headcount)).passed is passes


@pytest.mark.parametrize(("turnover", "passes"), [(200_000_000, True), (200_000_001, False)])
def test_turnover_limit_is_inclusive(turnover: int, passes: bool) -> None:
    assert rules.turnover_within_limit(subject(turnover_excl_tax_cents=turnover)).passed is passes


@pytest.mark.parametrize(
    ("declared", "registered", "passes"),
    [
        (dt.date(2020, 10, 29), dt.date(2020, 1, 1), True),
        (dt.date(2020, 10, 30), dt.date(2020, 1, 1), False),
        (dt.date(2020, 1, 1), dt.date(2020, 10, 30), False),  # the registry's later creation date wins
        (dt.date(2020, 1, 1), None, True),
    ],
)
def test_activity_start(declared: dt.date, registered: dt.date | None, passes: bool) -> None:
    registry = dataclasses.replace(ACTIVE, created_on=registered)
    assert rules.activity_old_enough(subject(registry, activity_started_on=declared)).passed is passes


@pytest.mark.parametrize(
    ("closed", "naf", "submitted_at", "failing"),
    [
        (True, "47.71Z", at(2021, 3, 2, 10, 0), set()),
        (False, "47.71Z", at(2021, 3, 2, 10, 0), {"NOT_CLOSED_TO_PUBLIC"}),
        (False, "55.10Z", at(2021, 3, 2, 10, 0), set()),  # hotels are exempt
        (False, "47.71Z", at(2021, 5, 10, 0, 0), set()),  # the condition is gone in the second version
    ],
)
def test_closure_condition_only_in_the_first_version(closed, naf, submitted_at, failing) -> None:
    decision = domain.decide(
        subject(
            closed_to_public=closed, naf_code=naf, submitted_at=submitted_at, invoices=(invoice(dt.date(2021, 2, 1)),)
        )
    )
    assert set(decision.reasons) == failing


@pytest.mark.parametrize(
    ("registered", "submitted_at", "failing"),
    [(False, at(2021, 5, 9, 12, 0), {"NOT_REGISTERED_RCS_RM"}), (False, at(2021, 5, 10, 12, 0), set())],
)
def test_registration_condition_only_in_the_first_version(registered, submitted_at, failing) -> None:
    decision = domain.decide(
        subject(registered_rcs_rm=registered, submitted_at=submitted_at, invoices=(invoice(dt.date(2021, 2, 1)),))
    )
    assert set(decision.reasons) == failing


@pytest.mark.parametrize(
    ("employed", "headcount", "submitted_at", "failing"),
    [
        (True, 0, at(2021, 5, 10, 12, 0), {"MANAGER_EMPLOYED_FULL_TIME"}),
        (True, 1, at(2021, 5, 10, 12, 0), set()),
        (True, 0, at(2021, 5, 9, 12, 0), set()),  # not a rule of the first version
    ],
)
def test_manager_employed_full_time_only_in_the_second_version(employed, headcount, submitted_at, failing) -> None:
    decision = domain.decide(
        subject(
            manager_full_time_employee=employed,
            headcount=headcount,
            submitted_at=submitted_at,
            invoices=(invoice(dt.date(2021, 2, 1)),),
        )
    )
    assert set(decision.reasons) == failing


@pytest.mark.parametrize("postcode", ["98600", "98714", "98800"])
def test_some_overseas_territories_are_excluded(postcode: str) -> None:
    assert not rules.not_overseas_excluded(subject(postcode=postcode)).passed


@pytest.mark.parametrize("postcode", ["97100", "20000", "49100"])
def test_other_postcodes_are_not(postcode: str) -> None:
    assert rules.not_overseas_excluded(subject(postcode=postcode)).passed


def test_each_missing_declaration_is_named() -> None:
    declarations = (
        ("tax_and_social_obligations_met", True),
        ("not_in_liquidation", False),
        ("information_accurate", True),
    )
    result = rules.declarations_made(subject(declarations=declarations))
    assert (result.passed, result.observed["missing"]) == (False, ["not_in_liquidation"])


def test_a_digital_provider_may_not_file() -> None:
    assert not rules.not_filed_by_excluded_filer(subject(filed_by_kind="digital_provider")).passed
    assert rules.not_filed_by_excluded_filer(subject(filed_by_kind="accountant")).passed


@pytest.mark.parametrize(
    ("invoices", "passes"),
    [
        ((invoice(dt.date(2021, 2, 1), 44_999),), False),
        ((invoice(dt.date(2021, 2, 1), 45_000),), True),
        ((invoice(dt.date(2020, 10, 30), 45_000),), True),
        ((invoice(dt.date(2020, 10, 29), 45_000),), False),
        ((invoice(dt.date(2021, 3, 3), 45_000),), False),  # after the claim (2021-03-02)
        ((invoice(dt.date(2021, 2, 1), 45_000, supplier_siren="642515712"),), False),  # its own invoice
        ((invoice(dt.date(2021, 2, 1), 45_000, category="digitalisation_support"),), False),
        ((invoice(dt.date(2021, 2, 1), 45_000, category="digitalisation_support", supplier_siren="534640974"),), True),
        ((invoice(dt.date(2021, 2, 1), 20_000), invoice(dt.date(2021, 2, 2), 25_000, number="F-2")), True),
    ],
)
def test_minimum_spend_over_eligible_invoices(invoices, passes: bool) -> None:
    assert rules.expenses_reach_minimum(subject(invoices=invoices)).passed is passes


@pytest.mark.parametrize(("issued_on", "passes"), [(dt.date(2021, 6, 30), True), (dt.date(2021, 7, 1), False)])
def test_invoice_window_end(issued_on: dt.date, passes: bool) -> None:
    s = subject(submitted_at=at(2021, 7, 15, 9, 0), invoices=(invoice(issued_on, 45_000),))
    assert rules.expenses_reach_minimum(s).passed is passes


def test_all_failing_codes_are_reported_not_only_the_first() -> None:
    s = subject(
        domain.RegistryFacts("C", None, "03"),
        domain.History(other_claims_holding_aid=1),
        headcount=12,
        invoices=(invoice(dt.date(2021, 2, 1), 100),),
    )
    assert domain.decide(s).reasons == (
        "COMPANY_CEASED",
        "HEADCOUNT_TOO_HIGH",
        "EXPENSES_BELOW_MINIMUM",
        "ALREADY_AIDED",
    )


@pytest.mark.parametrize(
    ("registry", "history", "reasons"),
    [
        (None, domain.History(), ("REGISTRY_NO_RECORD",)),
        (ACTIVE, domain.History(sirens_reusing_invoices=frozenset({"732829320"})), ("INVOICE_REUSED",)),
        (ACTIVE, domain.History(other_sirens_with_iban=frozenset({"1", "2"})), ("IBAN_SHARED",)),
        (ACTIVE, domain.History(other_sirens_with_iban=frozenset({"1"})), ()),
    ],
)
def test_fraud_signals_send_an_otherwise_good_claim_to_review(registry, history, reasons) -> None:
    decision = domain.decide(subject(registry, history))
    assert decision.reasons == reasons
    assert decision.outcome == ("under_review" if reasons else "approved")


def test_a_rejection_wins_over_a_review_signal() -> None:
    decision = domain.decide(subject(None, invoices=(invoice(dt.date(2021, 2, 1), 1),)))
    assert (decision.outcome, decision.reasons) == ("rejected", ("EXPENSES_BELOW_MINIMUM",))


def test_history_relates_claims_by_company_iban_and_invoice() -> None:
    me = dataclasses.replace(EXAMPLE, invoices=(invoice(dt.date(2021, 2, 1)),))
    prior = [
        domain.PriorClaim("A", EXAMPLE.siren, True, "00" * 32, frozenset()),
        domain.PriorClaim("B", "111111111", False, EXAMPLE.iban_fingerprint, frozenset()),
        domain.PriorClaim("C", "222222222", False, "01" * 32, frozenset({("SIREN:735911281", "F-1")})),
        domain.PriorClaim("D", "333333333", False, None, frozenset()),  # registered before fingerprints
        domain.PriorClaim(EXAMPLE.claim_id, EXAMPLE.siren, True, EXAMPLE.iban_fingerprint, frozenset()),  # itself
    ]
    history = domain.history_from(prior, me)
    assert history == domain.History(1, frozenset({"222222222"}), frozenset({"111111111"}))


@pytest.mark.parametrize(("excl_tax", "grant"), [(40_000, 20_000), (300_000, 150_000), (300_001, 150_000), (1, 0)])
def test_the_regional_grant_is_half_the_eligible_spend_capped(excl_tax: int, grant: int) -> None:
    s = subject(
        programme=REGION,
        submitted_at=at(2021, 3, 2, 10, 0),
        invoices=(invoice(dt.date(2021, 2, 1), excl_tax * 6 // 5 + 1, excl_tax_cents=excl_tax),),
    )
    assert domain.grant_for(s) == grant


def test_the_same_claim_is_judged_by_each_programme_s_own_thresholds() -> None:
    assert domain.decide(subject(headcount=10)).outcome == "approved"
    regional = subject(programme=REGION, headcount=10, submitted_at=at(2021, 3, 2, 10, 0))
    assert domain.decide(regional).reasons == ("HEADCOUNT_TOO_HIGH",)


def test_an_ineligible_invoice_is_recorded_with_a_reason_code_and_the_values_that_decided_it() -> None:
    s = subject(
        invoices=(
            invoice(dt.date(2020, 10, 29), number="EARLY"),
            invoice(dt.date(2021, 3, 3), number="LATE"),  # after the claim (2021-03-02)
            invoice(dt.date(2021, 2, 1), number="OWN", supplier_siren="642515712"),
            invoice(dt.date(2021, 2, 1), number="CAT", category="hardware"),
            invoice(dt.date(2021, 2, 1), number="SUPPORT", category="digitalisation_support"),
            invoice(dt.date(2021, 2, 1), number="GOOD"),
        )
    )
    assert rules.expenses_reach_minimum(s).observed["ineligible_invoices"] == {
        "EARLY": {
            "code": "INVOICE_OUTSIDE_PERIOD",
            "issued_on": "2020-10-29",
            "earliest": "2020-10-30",
            "latest": "2021-06-30",
        },
        "LATE": {"code": "INVOICE_AFTER_CLAIM", "issued_on": "2021-03-03", "submitted_on": "2021-03-02"},
        "OWN": {"code": "INVOICE_FROM_APPLICANT"},
        "CAT": {"code": "INVOICE_CATEGORY_NOT_COVERED", "category": "hardware"},
        "SUPPORT": {"code": "INVOICE_SUPPORT_NOT_REFERENCED"},
    }
