import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from guichet_common.programmes import load_programme
from guichet_common.settings import project_root
from guichet_eligibility import domain

PARIS = ZoneInfo("Europe/Paris")
PROGRAMME = load_programme(project_root() / "programmes" / "cheque-france-num-2021.toml")
GOOD = domain.Subject(
    claim=domain.ClaimFacts(
        claim_id="CFN-2021-0000123",
        programme=PROGRAMME.id,
        siren="642515712",
        submitted_at=dt.datetime(2021, 3, 2, 10, 15, tzinfo=PARIS),
        declared_headcount=3,
        invoices_incl_tax_cents=(66_000, 14_400),
    ),
    registry=domain.RegistryFacts(state="A", created_on=dt.date(2012, 3, 20)),
    history=domain.History(),
    programme=PROGRAMME,
)


def with_claim(**changes: object) -> domain.Subject:
    return dataclasses.replace(GOOD, claim=dataclasses.replace(GOOD.claim, **changes))


def test_a_good_claim_is_approved_and_every_rule_is_recorded() -> None:
    decision = domain.decide(GOOD)
    assert (decision.outcome, decision.reasons, decision.rule_version) == ("approved", (), "2021-01-28")
    assert {r.code for r in decision.results} == {rule(GOOD).code for rule in domain.RULES}


@pytest.mark.parametrize(
    ("spend", "outcome"), [((44_999,), "rejected"), ((45_000,), "approved"), ((20_000, 25_000), "approved")]
)
def test_minimum_spend_boundary(spend: tuple[int, ...], outcome: str) -> None:
    assert domain.decide(with_claim(invoices_incl_tax_cents=spend)).outcome == outcome


@pytest.mark.parametrize(("headcount", "outcome"), [(10, "approved"), (11, "rejected")])
def test_headcount_boundary(headcount: int, outcome: str) -> None:
    assert domain.decide(with_claim(declared_headcount=headcount)).outcome == outcome


@pytest.mark.parametrize(
    ("submitted_at", "outcome", "version"),
    [
        (dt.datetime(2021, 1, 27, 23, 59, 59, tzinfo=PARIS), "rejected", "2021-01-28"),
        (dt.datetime(2021, 1, 28, 0, 0, tzinfo=PARIS), "approved", "2021-01-28"),
        (dt.datetime(2021, 5, 9, 23, 59, 59, tzinfo=PARIS), "approved", "2021-01-28"),
        (dt.datetime(2021, 5, 10, 0, 0, tzinfo=PARIS), "approved", "2021-05-10"),
        # 22:30 UTC on 9 May is already 10 May in Paris (UTC+2 in summer).
        (dt.datetime(2021, 5, 9, 22, 30, tzinfo=dt.UTC), "approved", "2021-05-10"),
        (dt.datetime(2021, 7, 31, 23, 59, 59, tzinfo=PARIS), "approved", "2021-05-10"),
        (dt.datetime(2021, 8, 1, 0, 0, tzinfo=PARIS), "rejected", "2021-05-10"),
    ],
)
def test_filing_window_and_rule_version_are_judged_in_paris_time(
    submitted_at: dt.datetime, outcome: str, version: str
) -> None:
    decision = domain.decide(with_claim(submitted_at=submitted_at))
    assert (decision.outcome, decision.rule_version) == (outcome, version)


def test_all_failing_codes_are_reported_not_only_the_first() -> None:
    subject = dataclasses.replace(
        with_claim(declared_headcount=12, invoices_incl_tax_cents=(100,)),
        registry=domain.RegistryFacts(state="C", created_on=None),
        history=domain.History(other_claims_holding_aid=1),
    )
    assert domain.decide(subject).reasons == (
        "COMPANY_CEASED",
        "HEADCOUNT_TOO_HIGH",
        "EXPENSES_BELOW_MINIMUM",
        "ALREADY_AIDED",
    )


def test_missing_registry_record_sends_an_otherwise_good_claim_to_review() -> None:
    decision = domain.decide(dataclasses.replace(GOOD, registry=None))
    assert (decision.outcome, decision.reasons) == ("under_review", ("REGISTRY_NO_RECORD",))


def test_a_rejection_wins_over_a_review() -> None:
    subject = dataclasses.replace(with_claim(invoices_incl_tax_cents=(1,)), registry=None)
    assert domain.decide(subject).reasons == ("EXPENSES_BELOW_MINIMUM",)


def test_each_result_keeps_the_values_it_looked_at() -> None:
    result = domain.expenses_reach_minimum(with_claim(invoices_incl_tax_cents=(44_999,)))
    assert result.observed == {"eligible_incl_tax_cents": 44_999, "minimum": 45_000}
