"""Eligibility on real PostgreSQL: the registry copy follows the compacted topic; each claim is judged once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid

import asyncpg
import pytest

from guichet_common.contracts import EXAMPLES, ClaimRegisteredV1, ClaimSubmittedV1
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.settings import project_root
from guichet_common.unit_of_work import open_unit_of_work
from guichet_eligibility.handlers import EligibilityHandlers, registry_record
from guichet_eligibility.service import EligibilityService
from guichet_eligibility.unit_of_work import EligibilityUnitOfWork
from guichet_programme import load_programmes

from .sealed_claims import registered_event

pytestmark = pytest.mark.integration
REGISTRY = json.loads((EXAMPLES / "registry.companies.v1.json").read_text())
CLAIM = ClaimSubmittedV1.model_validate_json((EXAMPLES / "claims.submitted.v1.json").read_bytes()).claim
SERVICE = EligibilityService(programmes=load_programmes(project_root() / "programmes"))
NO_WAIT = dataclasses.replace(SERVICE, registry_grace=dt.timedelta(0))
REGISTRY_FEED = Subscription(EligibilityHandlers(SERVICE).registry_companies, registry_record, event_id=None)
CLAIMS_FEED = Subscription(EligibilityHandlers(SERVICE).claims_registered, contract(ClaimRegisteredV1))
NO_WAIT_CLAIMS_FEED = Subscription(EligibilityHandlers(NO_WAIT).claims_registered, contract(ClaimRegisteredV1))


def registry(offset: int, value: dict | None) -> InboundRecord:
    return InboundRecord(
        "registry.companies.v1", 0, offset, b"642515712", json.dumps(value).encode() if value else None
    )


def registered(offset: int, claim_id: str = CLAIM.claim_id) -> InboundRecord:
    event = registered_event(
        event_id=uuid.uuid4(),
        occurred_at=CLAIM.submitted_at,
        correlation_id=uuid.uuid4(),
        claim=CLAIM.model_copy(update={"claim_id": claim_id}),
    )
    return InboundRecord("intake.claims-registered.v1", 0, offset, b"642515712", event.model_dump_json().encode())


async def run(pool: asyncpg.Pool, subscription: Subscription, *records: InboundRecord) -> None:
    """One batch as the consumer applies it: on a unit of work of its own, committed by the subscription."""
    async with open_unit_of_work(pool, EligibilityUnitOfWork) as uow:
        await subscription.apply(uow, list(records))


async def sweep(pool: asyncpg.Pool, service: EligibilityService) -> int:
    """One turn of the registry-deadline job, committed as the background loop commits it."""
    async with open_unit_of_work(pool, EligibilityUnitOfWork) as uow:
        judged = await service.judge_past_registry_deadline(uow)
        await uow.commit()
    return judged


async def decisions(pool: asyncpg.Pool) -> list[tuple[str, str, list[str]]]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE topic = 'claims.status.v1' ORDER BY id")
    return [(v["claim_id"], v["status"], v["reasons"]) for v in (json.loads(r["value"]) for r in rows)]


async def test_a_tombstone_removes_the_company(eligibility_pool: asyncpg.Pool) -> None:
    await run(eligibility_pool, REGISTRY_FEED, registry(1, REGISTRY))
    assert await eligibility_pool.fetchval("SELECT state FROM companies WHERE siren = '642515712'") == "A"
    await run(eligibility_pool, REGISTRY_FEED, registry(2, {**REGISTRY, "etatAdministratifUniteLegale": "C"}))
    assert await eligibility_pool.fetchval("SELECT state FROM companies WHERE siren = '642515712'") == "C"
    await run(eligibility_pool, REGISTRY_FEED, registry(3, None))
    assert await eligibility_pool.fetchval("SELECT count(*) FROM companies") == 0


async def test_an_invalid_registry_record_is_dead_lettered(eligibility_pool: asyncpg.Pool) -> None:
    await run(eligibility_pool, REGISTRY_FEED, registry(1, {"siren": "12"}))
    assert await eligibility_pool.fetchval("SELECT count(*) FROM outbox WHERE topic = 'registry.companies.v1.dlq'") == 1


async def test_approval_is_announced_to_payments_and_a_second_claim_of_the_company_rejected(
    eligibility_pool: asyncpg.Pool,
) -> None:
    await run(eligibility_pool, REGISTRY_FEED, registry(1, REGISTRY))
    first = registered(1)
    await run(eligibility_pool, CLAIMS_FEED, first, first)
    await run(eligibility_pool, CLAIMS_FEED, registered(2, claim_id="CFN-2021-0000999"))
    assert await decisions(eligibility_pool) == [
        ("CFN-2021-0000123", "approved", []),
        ("CFN-2021-0000999", "rejected", ["ALREADY_AIDED"]),
    ]
    assert await eligibility_pool.fetchval("SELECT count(*) FROM outbox WHERE topic = 'eligibility.decisions.v1'") == 1
    results = await eligibility_pool.fetchval("SELECT rule_results FROM decisions WHERE claim_id = 'CFN-2021-0000999'")
    assert {"code": "ALREADY_AIDED", "passed": False}.items() <= next(
        r for r in results if r["code"] == "ALREADY_AIDED"
    ).items()


async def test_without_grace_a_missing_record_sends_the_claim_to_review(eligibility_pool: asyncpg.Pool) -> None:
    await run(eligibility_pool, NO_WAIT_CLAIMS_FEED, registered(1))
    assert await decisions(eligibility_pool) == [("CFN-2021-0000123", "under_review", ["REGISTRY_NO_RECORD"])]


async def test_a_claim_that_overtook_its_registry_record_waits_for_it(eligibility_pool: asyncpg.Pool) -> None:
    await run(eligibility_pool, CLAIMS_FEED, registered(1))
    assert await decisions(eligibility_pool) == []
    await run(eligibility_pool, REGISTRY_FEED, registry(1, REGISTRY))
    assert await decisions(eligibility_pool) == [("CFN-2021-0000123", "approved", [])]
    assert await sweep(eligibility_pool, SERVICE) == 0


async def test_a_claim_whose_company_never_shows_up_goes_to_review_at_its_deadline(
    eligibility_pool: asyncpg.Pool,
) -> None:
    await run(eligibility_pool, CLAIMS_FEED, registered(1))
    await eligibility_pool.execute("UPDATE claims SET registry_deadline = now() - interval '1 second'")
    assert await sweep(eligibility_pool, SERVICE) == 1
    assert await decisions(eligibility_pool) == [("CFN-2021-0000123", "under_review", ["REGISTRY_NO_RECORD"])]


async def test_claims_of_one_company_in_one_batch_are_judged_as_if_they_came_one_by_one(
    eligibility_pool: asyncpg.Pool,
) -> None:
    await run(eligibility_pool, REGISTRY_FEED, registry(1, REGISTRY))
    ids = ["CFN-2021-0000001", "CFN-2021-0000002", "CFN-2021-0000003"]
    await run(eligibility_pool, CLAIMS_FEED, *(registered(n, claim_id) for n, claim_id in enumerate(ids)))
    # The first one wins, whatever the order of claim ids in the database; the later ones see its approval.
    assert await decisions(eligibility_pool) == [
        (ids[0], "approved", []),
        (ids[1], "rejected", ["ALREADY_AIDED"]),
        (ids[2], "rejected", ["ALREADY_AIDED"]),
    ]


async def test_a_batch_sees_its_earlier_claims_not_its_later_ones(eligibility_pool: asyncpg.Pool) -> None:
    await run(eligibility_pool, REGISTRY_FEED, registry(1, REGISTRY))
    later_id_first = ["CFN-2021-0000009", "CFN-2021-0000001"]
    await run(eligibility_pool, CLAIMS_FEED, *(registered(n, c) for n, c in enumerate(later_id_first)))
    assert await decisions(eligibility_pool) == [
        ("CFN-2021-0000009", "approved", []),
        ("CFN-2021-0000001", "rejected", ["ALREADY_AIDED"]),
    ]


async def test_claims_that_waited_together_are_judged_in_arrival_order(eligibility_pool: asyncpg.Pool) -> None:
    await run(eligibility_pool, CLAIMS_FEED, registered(1, "CFN-2021-0000002"))
    await run(eligibility_pool, CLAIMS_FEED, registered(2, "CFN-2021-0000001"))
    assert await decisions(eligibility_pool) == []
    await run(eligibility_pool, REGISTRY_FEED, registry(1, REGISTRY))
    assert await decisions(eligibility_pool) == [
        ("CFN-2021-0000002", "approved", []),
        ("CFN-2021-0000001", "rejected", ["ALREADY_AIDED"]),
    ]
