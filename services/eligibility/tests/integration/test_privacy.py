"""A person's data in eligibility, on real PostgreSQL: intake's erasure followed in the stored claim (once, and
announced), a subject-access export through the command topic's use case, and the registry copy without names;
what-if and the review detail still work on an erased claim."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import asyncpg
import pytest

from guichet_common.contracts.backoffice import OperatorCommandV1
from guichet_common.contracts.privacy import PrivacyErasedV1
from guichet_common.operator_commands import OperatorCommands
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_eligibility import operators
from guichet_eligibility.erasure import ErasureFollower
from guichet_eligibility.privacy import EligibilityPrivacy

from .test_review_and_whatif import CLAIM, CLAIMS_FEED, PROGRAMMES, REGISTRY_FEED, company, registered, run

pytestmark = pytest.mark.integration
NOW = dt.datetime(2024, 5, 2, 8, 0, tzinfo=dt.UTC)
ERASURES = Subscription(ErasureFollower("", lambda: NOW).follow, contract(PrivacyErasedV1))
COMMANDS = OperatorCommands("eligibility", lambda uow: None, "", privacy=EligibilityPrivacy())  # type: ignore[arg-type,return-value]
SOLE_TRADER = {"nomUniteLegale": "DUPONT", "prenom1UniteLegale": "Marie", "denominationUniteLegale": "MARIE DUPONT"}


def erased(claim_id: str, kind: str) -> InboundRecord:
    event = PrivacyErasedV1.model_validate(
        {
            "event_id": str(uuid.uuid4()),
            "occurred_at": NOW.isoformat(),
            "claim_id": claim_id,
            "kind": kind,
            "service": "intake",
            "reason": "retention",
            "erased_at": NOW.isoformat(),
        },
        strict=False,
    )
    return InboundRecord("privacy.erased.v1", 0, 0, claim_id.encode(), event.model_dump_json().encode())


def export(*claim_ids: str) -> InboundRecord:
    command = OperatorCommandV1.model_validate(
        {
            "event_id": str(uuid.uuid4()),
            "occurred_at": NOW.isoformat(),
            "service": "eligibility",
            "action": "privacy_export",
            "target": "subject",
            "requested_by": "agent.dupont",
            "reason": "demande d'accès (article 15)",
            "claim_ids": list(claim_ids),
        },
        strict=False,
    )
    return InboundRecord("backoffice.eligibility-commands.v1", 0, 0, b"subject", command.model_dump_json().encode())


async def outbox(pool: asyncpg.Pool, topic: str) -> list[dict]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE topic = $1 ORDER BY id", topic)
    return [json.loads(row["value"]) for row in rows]


async def two_claims(pool: asyncpg.Pool) -> None:
    sole_trader = InboundRecord(
        "registry.companies.v1",
        0,
        0,
        b"111111118",
        json.dumps({**json.loads(company("111111118").value or b""), **SOLE_TRADER}).encode(),
    )
    await run(pool, REGISTRY_FEED, sole_trader, company("222222226"))
    await run(
        pool,
        CLAIMS_FEED,
        registered("CLAIM-0001", "111111118"),
        registered("CLAIM-0002", "222222226", invoice_number="X-2"),
    )


async def test_the_registry_copy_keeps_no_names(eligibility_pool: asyncpg.Pool) -> None:
    await two_claims(eligibility_pool)
    columns = {
        r["column_name"]
        for r in await eligibility_pool.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'companies'"
        )
    }
    assert columns == {"siren", "state", "created_on", "naf_code", "headcount_band", "updated_at"}
    claims_columns = {
        r["column_name"]
        for r in await eligibility_pool.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'claims'"
        )
    }
    assert "iban" not in claims_columns and "iban_fingerprint" in claims_columns
    dump = json.dumps([dict(r) for r in await eligibility_pool.fetch("SELECT * FROM claims")], default=str)
    for personal in (CLAIM.bank_account.iban, CLAIM.contact.email, CLAIM.contact.full_name, "DUPONT"):
        assert personal not in dump


async def test_an_intake_erasure_is_applied_once_announced_and_shown_erased_in_an_export(
    eligibility_pool: asyncpg.Pool,
) -> None:
    await two_claims(eligibility_pool)
    await run(eligibility_pool, ERASURES, erased("CLAIM-0001", "bank"))
    await run(eligibility_pool, ERASURES, erased("CLAIM-0001", "bank"))
    payload = await eligibility_pool.fetchval("SELECT payload FROM claims WHERE claim_id = 'CLAIM-0001'")
    assert payload["bank_account"] == {"iban": None, "bic": None, "holder_name": None}
    assert payload["contact"]["email"].startswith("sealed:v1:contact:CLAIM-0001:")
    [announced] = await outbox(eligibility_pool, "privacy.erased.v1")
    assert (announced["service"], announced["claim_id"], announced["kind"]) == ("eligibility", "CLAIM-0001", "bank")

    await run(eligibility_pool, Subscription(COMMANDS.apply, contract(OperatorCommandV1)), export("CLAIM-0001"))
    [response] = await outbox(eligibility_pool, "privacy.access-responses.v1")
    assert {r["claim_id"] for r in response["records"]} == {"CLAIM-0001"}
    stores = {r["store"]: r["fields"] for r in response["records"]}
    assert {"table claims", "table claim_invoices", "table decisions", "table companies"} <= set(stores)
    shown = stores["table claims"]["payload"]
    assert shown["bank_account"]["iban"] == {"erased_on": "2024-05-02"}
    assert shown["contact"]["email"] == {"sealed": True}
    assert "sealed:" not in json.dumps(response) and "DUPONT" not in json.dumps(response)


async def test_what_if_and_the_review_detail_still_read_an_erased_claim(eligibility_pool: asyncpg.Pool) -> None:
    await two_claims(eligibility_pool)
    await run(eligibility_pool, ERASURES, erased("CLAIM-0001", "bank"), erased("CLAIM-0001", "contact"))
    async with eligibility_pool.acquire() as conn:
        report = await operators.whatif(conn, PROGRAMMES[CLAIM.programme])
        detail = await operators.review_detail(conn, "CLAIM-0001")
    assert (report.claims, report.changes) == (2, [])
    payload = await eligibility_pool.fetchval("SELECT payload FROM claims WHERE claim_id = 'CLAIM-0001'")
    assert payload["applicant"]["legal_name"] is None and payload["applicant"]["address"]["line1"] is None
    assert payload["applicant"]["address"]["postcode"] == CLAIM.applicant.address.postcode
    assert detail is not None and detail["status"] == "approved"
