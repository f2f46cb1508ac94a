"""Operators on real PostgreSQL: review decisions are recorded, final and announced; what-if changes nothing."""

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
from guichet_eligibility import review
from guichet_eligibility.handlers import EligibilityHandlers, registry_record
from guichet_eligibility.operators import edited_programme
from guichet_eligibility.service import EligibilityService
from guichet_eligibility.unit_of_work import EligibilityUnitOfWork
from guichet_eligibility.whatif import replay
from guichet_programme import load_programmes

from .sealed_claims import registered_event

pytestmark = pytest.mark.integration
PROGRAMMES = load_programmes(project_root() / "programmes")
SERVICE = EligibilityService(programmes=PROGRAMMES, registry_grace=dt.timedelta(0))
CLAIM = ClaimSubmittedV1.model_validate_json((EXAMPLES / "claims.submitted.v1.json").read_bytes()).claim
REGISTRY = json.loads((EXAMPLES / "registry.companies.v1.json").read_text())
REGISTRY_FEED = Subscription(EligibilityHandlers(SERVICE).registry_companies, registry_record, event_id=None)
CLAIMS_FEED = Subscription(EligibilityHandlers(SERVICE).claims_registered, contract(ClaimRegisteredV1))


def registered(
    claim_id: str,
    siren: str,
    iban: str = CLAIM.bank_account.iban,
    submitted_at: dt.datetime = CLAIM.submitted_at,
    **invoice_changes: object,
) -> InboundRecord:
    applicant = CLAIM.applicant.model_copy(update={"siren": siren, "siret": siren + "00000"})
    invoices = [i.model_copy(update=invoice_changes) for i in CLAIM.invoices]
    bank = CLAIM.bank_account.model_copy(update={"iban": iban})
    claim = CLAIM.model_copy(
        update={
            "claim_id": claim_id,
            "applicant": applicant,
            "invoices": invoices,
            "bank_account": bank,
            "submitted_at": submitted_at,
        }
    )
    event = registered_event(
        event_id=uuid.uuid4(), occurred_at=CLAIM.submitted_at, correlation_id=uuid.uuid4(), claim=claim
    )
    return InboundRecord("intake.claims-registered.v1", 0, 0, siren.encode(), event.model_dump_json().encode())


def company(siren: str) -> InboundRecord:
    return InboundRecord(
        "registry.companies.v1", 0, 0, siren.encode(), json.dumps({**REGISTRY, "siren": siren}).encode()
    )


async def run(pool: asyncpg.Pool, subscription: Subscription, *records: InboundRecord) -> None:
    async with open_unit_of_work(pool, EligibilityUnitOfWork) as uow:
        await subscription.apply(uow, list(records))


async def statuses(pool: asyncpg.Pool) -> list[tuple[str, str, list[str]]]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE topic = 'claims.status.v1' ORDER BY id")
    return [(v["claim_id"], v["status"], v["reasons"]) for v in (json.loads(r["value"]) for r in rows)]


async def test_shared_iban_and_reused_invoice_send_claims_to_review(eligibility_pool: asyncpg.Pool) -> None:
    for siren in ("111111118", "222222226", "333333334", "444444442"):
        await run(eligibility_pool, REGISTRY_FEED, company(siren))
    await run(eligibility_pool, CLAIMS_FEED, registered("CLAIM-0001", "111111118"))
    await run(eligibility_pool, CLAIMS_FEED, registered("CLAIM-0002", "222222226", invoice_number="X"))
    await run(eligibility_pool, CLAIMS_FEED, registered("CLAIM-0003", "333333334", invoice_number="Y"))
    # Same invoices as C-1 (same supplier and number), another company, its own IBAN.
    other_iban = "FR7630006000011234567890189"
    await run(eligibility_pool, CLAIMS_FEED, registered("CLAIM-0004", "444444442", iban=other_iban))
    assert await statuses(eligibility_pool) == [
        ("CLAIM-0001", "approved", []),
        ("CLAIM-0002", "approved", []),
        ("CLAIM-0003", "under_review", ["IBAN_SHARED"]),
        ("CLAIM-0004", "under_review", ["INVOICE_REUSED"]),
    ]


async def test_an_operator_decision_is_recorded_announced_and_final(eligibility_pool: asyncpg.Pool) -> None:
    await run(eligibility_pool, CLAIMS_FEED, registered("CLAIM-0009", "555555550"))  # no registry
    async with eligibility_pool.acquire() as conn:
        assert [r["claim_id"] for r in await review.under_review(conn)] == ["CLAIM-0009"]
    choice = review.ReviewDecision("CLAIM-0009", "approved", "alice", "company confirmed by its Kbis")
    async with eligibility_pool.acquire() as conn, conn.transaction():
        await review.decide(conn, PROGRAMMES, choice)
    with pytest.raises(review.ReviewRefused, match="final"):
        async with eligibility_pool.acquire() as conn, conn.transaction():
            await review.decide(conn, PROGRAMMES, dataclasses.replace(choice, decision="rejected"))
    with pytest.raises(review.ReviewRefused, match="reason"):
        async with eligibility_pool.acquire() as conn, conn.transaction():
            await review.decide(conn, PROGRAMMES, dataclasses.replace(choice, reason=" "))
    assert (await statuses(eligibility_pool))[-1] == ("CLAIM-0009", "approved", [])
    recorded = await eligibility_pool.fetchrow("SELECT decision, operator, reason FROM review_decisions")
    assert dict(recorded) == {"decision": "approved", "operator": "alice", "reason": "company confirmed by its Kbis"}
    approval = await eligibility_pool.fetchval("SELECT value FROM outbox WHERE topic = 'eligibility.decisions.v1'")
    assert json.loads(approval)["grant_amount_cents"] == 50_000
    # What payments' post-payment controls select on, read from the stored decision that sent it to review.
    facts = {k: json.loads(approval)[k] for k in ("reviewed_reasons", "approved_by_person", "supplier_sirens")}
    assert facts == {
        "reviewed_reasons": ["REGISTRY_NO_RECORD"],
        "approved_by_person": True,
        "supplier_sirens": ["735911281"],
    }


async def test_what_if_explains_a_shorter_invoice_window_and_changes_nothing(eligibility_pool: asyncpg.Pool) -> None:
    await run(eligibility_pool, REGISTRY_FEED, company("111111118"), company("222222226"))
    await run(eligibility_pool, CLAIMS_FEED, registered("CLAIM-0001", "111111118"))
    await run(
        eligibility_pool,
        CLAIMS_FEED,
        registered(
            "CLAIM-0002",
            "222222226",
            submitted_at=CLAIM.submitted_at + dt.timedelta(days=45),
            issued_on=dt.date(2021, 4, 2),
            invoice_number="Z",
        ),
    )
    before = await eligibility_pool.fetchval("SELECT count(*) FROM outbox")
    edited = edited_programme(PROGRAMMES["cheque-france-num-2021"], ["invoices.latest=2021-03-31"])
    async with eligibility_pool.acquire() as conn, conn.transaction(readonly=True):
        report = await replay(conn, edited)
    assert (report.claims, dict(report.transitions)) == (2, {"approved -> rejected": 1})
    [change] = report.changes
    assert change.claim_id == "CLAIM-0002" and change.after == ("rejected", ("EXPENSES_BELOW_MINIMUM",))
    assert "'code': 'INVOICE_OUTSIDE_PERIOD', 'issued_on': '2021-04-02', 'earliest': '2020-10-30'" in change.because[0]
    assert report.granted_before_cents - report.granted_after_cents == 50_000
    assert await eligibility_pool.fetchval("SELECT count(*) FROM outbox") == before
