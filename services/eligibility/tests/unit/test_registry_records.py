"""The registry feed (`registry_companies`) on the fake unit of work: the copy follows the compacted topic, the
last record of a SIREN wins, hostile records are dead-lettered with their reason, and claims that waited for a
company are judged when its record arrives."""

from __future__ import annotations

from guichet_eligibility.service import EligibilityService

from .fakes import (
    PROGRAMMES,
    FakeEligibilityUnitOfWork,
    claim,
    company,
    dead_letter_reasons,
    registered,
    statuses,
    subscriptions,
    tombstone,
)

SERVICE = EligibilityService(programmes=PROGRAMMES)
REGISTRY, CLAIMS = subscriptions(SERVICE)


async def test_a_record_is_kept_and_a_tombstone_removes_it() -> None:
    uow = FakeEligibilityUnitOfWork()
    await REGISTRY.apply(uow, [company("642515712")])
    assert uow.companies.records["642515712"]["etatAdministratifUniteLegale"] == "A"
    await REGISTRY.apply(uow, [company("642515712", etatAdministratifUniteLegale="C")])
    assert uow.companies.records["642515712"]["etatAdministratifUniteLegale"] == "C"
    await REGISTRY.apply(uow, [tombstone(b"642515712")])
    assert uow.companies.records == {}
    assert uow.commits == 3 and uow.inbox.applied == set()  # idempotent by content: no inbox rows


async def test_the_last_record_of_a_siren_in_a_batch_wins() -> None:
    uow = FakeEligibilityUnitOfWork()
    await REGISTRY.apply(uow, [company("642515712"), tombstone(b"642515712"), company("552100554")])
    assert sorted(uow.companies.records) == ["552100554"]
    await REGISTRY.apply(uow, [tombstone(b"552100554"), company("552100554", etatAdministratifUniteLegale="C")])
    assert uow.companies.records["552100554"]["etatAdministratifUniteLegale"] == "C"


async def test_hostile_records_are_dead_lettered_with_their_reason_and_the_batch_goes_on() -> None:
    uow = FakeEligibilityUnitOfWork()
    await REGISTRY.apply(
        uow,
        [
            company("642515712", denominationUniteLegale="BOUTIQUE\u0000"),
            tombstone(b"64251571\x00"),
            company("12"),
            tombstone(b""),  # nothing to remove: skipped without a word
            company("552100554"),
        ],
    )
    assert sorted(uow.companies.records) == ["552100554"]
    reasons = dead_letter_reasons(uow)
    assert reasons[:2] == [
        "denominationUniteLegale holds a control character",
        "tombstone key holds a control character",
    ]
    assert reasons[2].startswith("schema: ") and len(reasons) == 3


async def test_claims_that_waited_for_the_company_are_judged_in_arrival_order_when_it_arrives() -> None:
    uow = FakeEligibilityUnitOfWork()
    await CLAIMS.apply(uow, [registered(claim("CFN-2021-0000002"))])
    await CLAIMS.apply(uow, [registered(claim("CFN-2021-0000001"))])
    assert statuses(uow) == []
    await REGISTRY.apply(uow, [company("642515712")])
    assert statuses(uow) == [
        ("CFN-2021-0000002", "approved", []),
        ("CFN-2021-0000001", "rejected", ["ALREADY_AIDED"]),
    ]
    assert [m.topic for m in uow.committed].count("eligibility.decisions.v1") == 1


async def test_a_sole_traders_record_is_kept_without_the_persons_names() -> None:
    uow = FakeEligibilityUnitOfWork()
    names = {"nomUniteLegale": "DUPONT", "prenom1UniteLegale": "Marie", "prenomUsuelUniteLegale": "Marie"}
    sole_trader = {"denominationUniteLegale": "MARIE DUPONT", "categorieJuridiqueUniteLegale": "1000", **names}
    await REGISTRY.apply(uow, [company("642515712", **sole_trader)])
    kept = uow.companies.records["642515712"]
    assert set(kept) == {
        "siren",
        "etatAdministratifUniteLegale",
        "dateCreationUniteLegale",
        "activitePrincipaleUniteLegale",
        "trancheEffectifsUniteLegale",
    }
    assert not {"DUPONT", "Marie", "MARIE DUPONT"} & {str(value) for value in kept.values()}
