"""The service, manual review and what-if replays judge with the one `domain.judge`: a replay of the decided claims
under the same rules reproduces the service's decisions, and an operator's approval pays what the service pays."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from guichet_eligibility.review import ReviewDecision, review_decision
from guichet_eligibility.service import EligibilityService
from guichet_eligibility.whatif import replay_decided
from guichet_programme import Programme

from .fakes import (
    CLAIM,
    PROGRAMMES,
    FakeEligibilityUnitOfWork,
    claim,
    company,
    registered,
    statuses,
    subscriptions,
)

REGISTRY, CLAIMS = subscriptions(EligibilityService(programmes=PROGRAMMES, registry_grace=dt.timedelta(0)))
CFN = PROGRAMMES["cheque-france-num-2021"]
REGION = PROGRAMMES["pass-numerique-region-2021"]
IN_REGISTRY = ("642515712", "111111118", "222222226", "444444442", "555555550", "666666664", "777777772")


def own(n: int, siren: str, **changes: Any):
    """A claim with invoices and an IBAN of its own, unless `changes` shares them with another."""
    invoices = [i.model_copy(update={"invoice_number": f"{i.invoice_number}-{n}"}) for i in CLAIM.invoices]
    bank = CLAIM.bank_account.model_copy(update={"iban": f"FR76300060000112345678901{n % 90 + 10}"})
    return claim(f"CLAIM-{n:04d}", siren, **({"invoices": invoices, "bank_account": bank} | changes))


def with_iban(n: int):
    return CLAIM.bank_account.model_copy(update={"iban": f"FR76300060000112345678901{n % 90 + 10}"})


async def judged_by_the_service(programme: Programme = CFN) -> FakeEligibilityUnitOfWork:
    """Claims that end in every outcome and for every history signal, each batch as the service judges it."""
    uow = FakeEligibilityUnitOfWork()
    await REGISTRY.apply(uow, [company(siren) for siren in IN_REGISTRY])
    mine = {"programme": programme.id}
    batches = [
        [own(1, "642515712", **mine)],  # approved
        [own(2, "642515712", **mine)],  # ALREADY_AIDED
        [own(3, "111111118", **mine, declarations=CLAIM.declarations.model_copy(update={"not_in_liquidation": False}))],
        [own(4, "333333334", **mine)],  # REGISTRY_NO_RECORD
        [own(5, "222222226", **mine, invoices=own(1, "642515712").invoices)],  # INVOICE_REUSED
        [
            own(6, "444444442", **mine, bank_account=with_iban(1)),
            own(7, "555555550", **mine, bank_account=with_iban(1)),
        ],
        [own(8, "666666664", **mine, bank_account=with_iban(1))],  # IBAN_SHARED, after 7 in the batch before
        [own(9, "111111118", **mine)],  # the rejected claim of its company does not count
    ]
    for batch in batches:
        await CLAIMS.apply(uow, [registered(c) for c in batch])
    return uow


async def test_the_service_judged_every_kind_of_claim() -> None:
    outcomes = {
        claim_id: (status, tuple(reasons)) for claim_id, status, reasons in statuses(await judged_by_the_service())
    }
    assert outcomes == {
        "CLAIM-0001": ("approved", ()),
        "CLAIM-0002": ("rejected", ("ALREADY_AIDED",)),
        "CLAIM-0003": ("rejected", ("DECLARATION_MISSING",)),
        "CLAIM-0004": ("under_review", ("REGISTRY_NO_RECORD",)),
        "CLAIM-0005": ("under_review", ("INVOICE_REUSED",)),
        "CLAIM-0006": ("approved", ()),
        "CLAIM-0007": ("under_review", ("IBAN_SHARED",)),
        "CLAIM-0008": ("under_review", ("IBAN_SHARED",)),
        "CLAIM-0009": ("approved", ()),
    }


async def test_a_what_if_under_the_same_rules_reproduces_the_service_s_decisions() -> None:
    for programme in (CFN, REGION):
        uow = await judged_by_the_service(programme)
        report = await replay_decided(uow, programme)
        assert report.claims == 9
        assert report.changes == [] and report.transitions == {}
        assert report.before == report.after
        assert report.granted_before_cents == report.granted_after_cents > 0


async def test_an_edited_programme_changes_the_decisions_it_should_with_typed_invoice_reasons() -> None:
    uow = await judged_by_the_service()
    edited = CFN.model_copy(update={"invoices": CFN.invoices.model_copy(update={"latest": dt.date(2021, 2, 10)})})
    report = await replay_decided(uow, edited)
    assert report.claims == len(report.changes) == 9  # no invoice counts any more
    assert report.newly_failing == {"EXPENSES_BELOW_MINIMUM": 9}
    assert report.newly_passing == {"ALREADY_AIDED": 1}  # its company's first claim is rejected now
    [why] = report.changes[0].because
    assert "'code': 'INVOICE_OUTSIDE_PERIOD', 'issued_on': '2021-02-11', 'earliest': '2020-10-30'" in why


async def test_an_operator_s_approval_pays_what_the_service_pays_for_the_same_invoices() -> None:
    uow = await judged_by_the_service(REGION)
    paid_by_the_service = {
        json.loads(m.value)["claim_id"]: json.loads(m.value)["grant_amount_cents"]
        for m in uow.committed
        if m.topic == "eligibility.decisions.v1"
    }
    assert paid_by_the_service["CLAIM-0001"] == (55_000 + 12_000) // 2  # half the spend excluding tax
    uow.committed.clear()
    await review_decision(uow, PROGRAMMES, ReviewDecision("CLAIM-0004", "approved", "alice", "Kbis checked"))
    [approval] = [json.loads(m.value) for m in uow.committed if m.topic == "eligibility.decisions.v1"]
    assert approval["grant_amount_cents"] == paid_by_the_service["CLAIM-0001"]
