"""The generator's promises: deterministic, realistic, and labelled with the outcome the programme predicts."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from guichet_simulator.generator import MINIMUM_SPEND_CENTS, ClaimGenerator, Problem, generate_claims
from guichet_simulator.invoices import eligible_total_cents

PARIS = ZoneInfo("Europe/Paris")
FILING = (datetime(2021, 1, 28, tzinfo=PARIS), datetime(2021, 7, 31, 23, 59, 59, tzinfo=PARIS))
INVOICE_WINDOW = (date(2020, 10, 30), date(2021, 6, 30))


def _submitted(claim) -> datetime:
    return datetime.fromisoformat(claim.event["claim"]["submitted_at"])


def test_the_same_seed_yields_the_same_claims():
    assert generate_claims(200, 7) == generate_claims(200, 7)


def test_another_seed_or_run_id_yields_other_companies():
    sirens = {c.siren for c in generate_claims(200, 7)}
    assert not sirens & {c.siren for c in generate_claims(200, 8)}
    assert not sirens & {c.siren for c in generate_claims(200, 7, run_id="demo-2")}


def test_problem_share_is_roughly_as_configured(many_claims):
    share = sum(1 for c in many_claims if c.expected_reasons) / len(many_claims)
    assert 0.13 <= share <= 0.17


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_problem_share_is_configurable(share):
    claims = generate_claims(1_000, 3, problem_share=share)
    assert abs(sum(1 for c in claims if c.expected_reasons) / 1_000 - share) <= 0.05


def test_every_problem_kind_occurs_with_its_predicted_status(many_claims, by_reason):
    assert set(by_reason) == {p.value for p in Problem}
    statuses = {(c.expected_status, c.expected_reasons) for c in many_claims}
    assert statuses == {
        ("paid", ()),
        ("rejected", ("EXPENSES_BELOW_MINIMUM",)),
        ("rejected", ("COMPANY_CEASED",)),
        ("under_review", ("REGISTRY_NO_RECORD",)),
        ("refused", ("SIREN_INVALID",)),
        ("rejected", ("HEADCOUNT_TOO_HIGH",)),
    }


def test_problem_claims_carry_the_defect_they_are_labelled_with(by_reason):
    for claim in by_reason["EXPENSES_BELOW_MINIMUM"]:
        invoices = claim.event["claim"]["invoices"]
        assert all(i["category"] != "digitalisation_support" for i in invoices)
        assert eligible_total_cents(invoices) < MINIMUM_SPEND_CENTS
    for claim in by_reason["COMPANY_CEASED"]:
        assert claim.registry_record["etatAdministratifUniteLegale"] == "C"
    for claim in by_reason["REGISTRY_NO_RECORD"]:
        assert claim.registry_record is None
    for claim in by_reason["HEADCOUNT_TOO_HIGH"]:
        assert claim.event["claim"]["applicant"]["headcount"] == 12
        assert claim.registry_record["trancheEffectifsUniteLegale"] == "11"


def test_claim_ids_are_unique_and_well_formed(many_claims):
    ids = [c.claim_id for c in many_claims]
    assert len(set(ids)) == len(ids) == 5_000
    assert all(re.fullmatch(r"CFN-S2021-\d{7}", i) for i in ids)
    assert len({c.event["event_id"] for c in many_claims}) == 5_000
    assert len({c.siren for c in many_claims}) == 5_000


def test_an_invoice_number_never_repeats_for_a_supplier(many_claims):
    seen = [
        (i.get("supplier_siren") or i["supplier_vat_number"][4:], i["invoice_number"])
        for c in many_claims
        for i in c.event["claim"]["invoices"]
    ]
    assert len(set(seen)) == len(seen)


def test_timestamps_are_paris_time_within_the_filing_window(many_claims):
    for claim in many_claims:
        submitted, occurred = _submitted(claim), datetime.fromisoformat(claim.event["occurred_at"])
        assert FILING[0] <= submitted <= FILING[1]
        assert submitted.utcoffset() == submitted.astimezone(PARIS).utcoffset()
        assert occurred.utcoffset() == occurred.astimezone(PARIS).utcoffset()
        assert submitted < occurred


def test_invoices_are_dated_in_the_window_and_never_after_submission(many_claims):
    for claim in many_claims:
        submitted_on = _submitted(claim).astimezone(PARIS).date()
        invoices = claim.event["claim"]["invoices"]
        assert 1 <= len(invoices) <= 3
        for invoice in invoices:
            issued_on = date.fromisoformat(invoice["issued_on"])
            assert INVOICE_WINDOW[0] <= issued_on <= INVOICE_WINDOW[1]
            assert issued_on <= submitted_on


def test_only_reserved_example_domains_are_used_for_e_mail(many_claims):
    for claim in many_claims:
        email = claim.event["claim"]["contact"]["email"]
        assert re.fullmatch(r"[a-z0-9.-]+@example\.(fr|org|com|net)", email), email


def test_good_claims_spend_at_least_the_minimum_and_look_like_the_programme(good_claims):
    totals = [eligible_total_cents(c.event["claim"]["invoices"]) for c in good_claims]
    assert min(totals) >= MINIMUM_SPEND_CENTS
    assert 65_000 <= sorted(totals)[len(totals) // 2] <= 100_000  # the average invoice was near 800 €


def test_good_claims_meet_the_conditions_of_their_rule_version(good_claims):
    for claim in good_claims:
        applicant = claim.event["claim"]["applicant"]
        assert 0 <= applicant["headcount"] <= 10
        assert applicant["annual_turnover_cents"] <= 200_000_000
        assert applicant["activity_started_on"] < "2020-10-30"
        assert not applicant["address"]["postcode"].startswith(("97", "98"))
        assert all(claim.event["claim"]["declarations"].values())
        assert claim.registry_record["etatAdministratifUniteLegale"] == "A"
        if _submitted(claim).astimezone(PARIS).date() < date(2021, 5, 10):
            assert applicant["registered_rcs_rm"]
            assert applicant["closed_to_public_since_2020_10_30"] or applicant["naf_code"] == "55.10Z"
        elif applicant["headcount"] == 0:
            assert not applicant["manager_full_time_employee_since_2020_10_30"]


def test_both_rule_versions_are_exercised(good_claims):
    later = [c for c in good_claims if _submitted(c).astimezone(PARIS).date() >= date(2021, 5, 10)]
    assert 0.2 < len(later) / len(good_claims) < 0.6
    assert any(not c.event["claim"]["applicant"]["closed_to_public_since_2020_10_30"] for c in later)


@pytest.mark.parametrize("run_id", ["", "-abc", "has space", "x" * 52])
def test_a_run_id_that_would_break_the_claim_id_pattern_is_refused(run_id):
    with pytest.raises(ValueError):
        ClaimGenerator(1, run_id=run_id)


def test_the_longest_run_id_still_fits_the_claim_id_pattern():
    claim = ClaimGenerator(1, run_id="x" * 51, problem_share=0).next_claim()
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{7,63}", claim.claim_id)
