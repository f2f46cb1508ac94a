"""Eligibility on real PostgreSQL: a registry record with a NUL where PostgreSQL reads it (the key of a tombstone,
a text field stored in jsonb, a SIREN) is dead-lettered with its own reason, and the other records of its batch are
applied. A NUL in either used to fail the whole batch, which the consumer split and retried one by one until the
record ended as a generic "handler error"."""

from __future__ import annotations

import json

import asyncpg
import pytest

from guichet_common.contracts import EXAMPLES
from guichet_common.outbox import queued_messages
from guichet_common.pipeline import Subscription
from guichet_common.records import InboundRecord
from guichet_common.settings import project_root
from guichet_common.unit_of_work import open_unit_of_work
from guichet_eligibility.handlers import EligibilityHandlers, registry_record
from guichet_eligibility.service import EligibilityService
from guichet_eligibility.unit_of_work import EligibilityUnitOfWork
from guichet_programme import load_programmes

pytestmark = pytest.mark.integration
REGISTRY = json.loads((EXAMPLES / "registry.companies.v1.json").read_text())
SERVICE = EligibilityService(programmes=load_programmes(project_root() / "programmes"))
OTHER_SIREN = "552100554"
REGISTRY_FEED = Subscription(EligibilityHandlers(SERVICE).registry_companies, registry_record, event_id=None)


def registry(offset: int, key: bytes, value: dict | None) -> InboundRecord:
    return InboundRecord("registry.companies.v1", 0, offset, key, json.dumps(value).encode() if value else None)


async def apply_batch(pool: asyncpg.Pool, *records: InboundRecord) -> None:
    """One batch, as the consumer hands it over: raising here is what made the consumer split and retry it."""
    async with open_unit_of_work(pool, EligibilityUnitOfWork) as uow:
        await REGISTRY_FEED.apply(uow, list(records))


async def dead_letter_reasons(pool: asyncpg.Pool) -> list[str]:
    async with pool.acquire() as conn:
        rows = await queued_messages(conn, "registry.companies.v1.dlq")
    return [dict(r.headers)["dlq.reason"].decode() for r in rows]


async def sirens(pool: asyncpg.Pool) -> list[str]:
    return [r["siren"] for r in await pool.fetch("SELECT siren FROM companies ORDER BY siren")]


@pytest.mark.parametrize(
    "hostile",
    [
        {**REGISTRY, "siren": "64251571\u0000"},
        {**REGISTRY, "siren": "642515712\u0000"},
        {**REGISTRY, "siren": OTHER_SIREN, "denominationUniteLegale": "BOUTIQUE\u0000"},
    ],
)
async def test_a_registry_record_with_a_nul_is_dead_lettered_and_its_batch_goes_on(
    eligibility_pool: asyncpg.Pool, hostile: dict
) -> None:
    await apply_batch(eligibility_pool, registry(1, b"642515712", hostile), registry(2, b"642515712", REGISTRY))
    assert await sirens(eligibility_pool) == ["642515712"]
    [reason] = await dead_letter_reasons(eligibility_pool)
    expected = "denominationUniteLegale holds a control character" if hostile["siren"] == OTHER_SIREN else "schema: "
    assert reason.startswith(expected)


async def test_a_tombstone_whose_key_holds_a_nul_is_dead_lettered_and_its_batch_goes_on(
    eligibility_pool: asyncpg.Pool,
) -> None:
    await apply_batch(eligibility_pool, registry(1, b"64251571\x00", None), registry(2, b"642515712", REGISTRY))
    assert await sirens(eligibility_pool) == ["642515712"]
    assert await dead_letter_reasons(eligibility_pool) == ["tombstone key holds a control character"]
