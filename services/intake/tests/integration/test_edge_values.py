"""Intake on real PostgreSQL keeps only canonical values: values that pass the schema but would break a later stage
(a SEPA file, the registry deadline job, PostgreSQL, an e-mail header) are canonicalised or refused with a code."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import asyncpg
import pytest

from guichet_common.contracts import EXAMPLES
from guichet_common.pipeline import Subscription
from guichet_common.records import InboundRecord
from guichet_common.unit_of_work import open_unit_of_work
from guichet_intake.handlers import decode_submission
from guichet_intake.service import IntakeService, Submission
from guichet_intake.unit_of_work import IntakeUnitOfWork

from .sealed_values import opened

pytestmark = pytest.mark.integration
EXAMPLE = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text())
SERVICE = IntakeService(programmes=frozenset({"cheque-france-num-2021"}))
SUBMISSIONS: Subscription[IntakeUnitOfWork, Submission] = Subscription(SERVICE.apply_submissions, decode_submission)
CLAIM_ID = EXAMPLE["claim"]["claim_id"]
IBAN = EXAMPLE["claim"]["bank_account"]["iban"]


def event(edit=lambda claim: None, **claim_changes: Any) -> dict[str, Any]:
    value = copy.deepcopy(EXAMPLE)
    value["event_id"] = str(uuid.uuid4())
    value["claim"].update(claim_changes)
    edit(value["claim"])
    return value


def record(value: dict[str, Any] | bytes, offset: int = 1) -> InboundRecord:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return InboundRecord("claims.submitted.v1", 0, offset, b"642515712", raw)


async def apply(pool: asyncpg.Pool, *values: dict[str, Any] | bytes) -> None:
    async with open_unit_of_work(pool, IntakeUnitOfWork) as uow:
        await SUBMISSIONS.apply(uow, [record(v, n) for n, v in enumerate(values)])


async def outbox(pool: asyncpg.Pool, topic: str) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE topic = $1 ORDER BY id", topic)
    return [json.loads(r["value"]) for r in rows]


async def statuses(pool: asyncpg.Pool) -> list[tuple[str, str, list[str]]]:
    return [(v["claim_id"], v["status"], v["reasons"]) for v in await outbox(pool, "claims.status.v1")]


def bank(**changes: Any):
    return lambda claim: claim["bank_account"].update(changes)


async def assert_refused(pool: asyncpg.Pool, *codes: str) -> None:
    assert await statuses(pool) == [(CLAIM_ID, "received", []), (CLAIM_ID, "refused", list(codes))]
    assert await pool.fetchval("SELECT count(*) FROM claims") == 0
    assert await outbox(pool, "intake.claims-registered.v1") == []


@pytest.mark.parametrize(
    "iban",
    [
        "FR76\u00a09323\u00a03145\u00a04374\u00a03112\u00a05912\u00a0957",
        "FR76\t93233145437431125912957",
        "fr7693233145437431125912957",
    ],
)
async def test_an_iban_with_nbsp_tab_or_lower_case_is_registered_compact(intake_pool: asyncpg.Pool, iban: str) -> None:
    await apply(intake_pool, event(bank(iban=iban)))
    assert await statuses(intake_pool) == [(CLAIM_ID, "received", [])]
    stored = await intake_pool.fetchval("SELECT payload->'bank_account'->>'iban' FROM claims")
    [registered] = await outbox(intake_pool, "intake.claims-registered.v1")
    assert stored == registered["claim"]["bank_account"]["iban"]  # intake keeps what it sealed
    assert await opened(intake_pool, stored) == IBAN


async def test_a_holder_name_is_forwarded_as_the_sepa_file_will_carry_it(intake_pool: asyncpg.Pool) -> None:
    await apply(intake_pool, event(bank(holder_name="Zoë Ångström & Fils")))
    [registered] = await outbox(intake_pool, "intake.claims-registered.v1")
    assert await opened(intake_pool, registered["claim"]["bank_account"]["holder_name"]) == "Zoe Angstrom + Fils"
    stored = await intake_pool.fetchval("SELECT payload->'bank_account'->>'holder_name' FROM claims")
    assert await opened(intake_pool, stored) == "Zoe Angstrom + Fils"


async def test_a_holder_name_with_nothing_left_in_the_sepa_set_is_refused(intake_pool: asyncpg.Pool) -> None:
    await apply(intake_pool, event(bank(holder_name="@#%*")))
    await assert_refused(intake_pool, "HOLDER_NAME_UNWRITABLE")


async def test_a_bic_the_pain001_xsd_refuses_is_refused(intake_pool: asyncpg.Pool) -> None:
    await apply(intake_pool, event(bank(bic="AAAAFR1A")))
    await assert_refused(intake_pool, "BIC_INVALID")


@pytest.mark.parametrize("submitted_at", ["9999-12-31T23:30:00+00:00", "0001-01-01T00:30:00+01:00"])
async def test_a_far_submission_time_is_refused(intake_pool: asyncpg.Pool, submitted_at: str) -> None:
    await apply(intake_pool, event(submitted_at=submitted_at))
    await assert_refused(intake_pool, "DATE_OUT_OF_RANGE")


async def test_far_calendar_dates_are_refused(intake_pool: asyncpg.Pool) -> None:
    def far(claim: dict[str, Any]) -> None:
        claim["applicant"]["activity_started_on"] = "0001-01-01"
        claim["invoices"][0]["issued_on"] = "9999-12-31"

    await apply(intake_pool, event(far))
    await assert_refused(intake_pool, "DATE_OUT_OF_RANGE")


@pytest.mark.parametrize(
    "edit",
    [
        lambda claim: claim["applicant"].update(legal_name="Boutique\u0000Martin"),
        lambda claim: claim["applicant"]["address"].update(line1="12 rue\u2028des Lilas"),
        lambda claim: claim["contact"].update(full_name="Claire \u202enitraM"),
        lambda claim: claim["invoices"][0].update(supplier_name="Atelier\r\nBcc: x@example.org"),
    ],
)
async def test_control_characters_in_any_text_are_refused(intake_pool: asyncpg.Pool, edit) -> None:
    await apply(intake_pool, event(edit))  # a NUL used to make PostgreSQL refuse the whole batch
    await assert_refused(intake_pool, "TEXT_CONTROL_CHARACTERS")
    [details] = await intake_pool.fetch("SELECT details::text FROM refusals")
    assert "claim." in details["details"]


async def test_a_nul_in_the_claim_does_not_stop_the_rest_of_its_batch(intake_pool: asyncpg.Pool) -> None:
    hostile = event(lambda claim: claim["applicant"].update(legal_name="\u0000"), claim_id="CFN-2021-HOSTILE1")
    await apply(intake_pool, hostile, event())
    assert await intake_pool.fetchval("SELECT array_agg(claim_id) FROM claims") == [CLAIM_ID]
    assert ("CFN-2021-HOSTILE1", "refused", ["TEXT_CONTROL_CHARACTERS"]) in await statuses(intake_pool)


@pytest.mark.parametrize(
    ("excl", "incl"),
    [
        (3_000_000, 20_000),  # 30,000 € excl. tax declared for 200 € incl. tax
        (1, 20_000),  # 1 cent excl. tax: a 0 € grant under a rate programme, which eligibility cannot publish
    ],
)
async def test_amounts_no_tax_rate_explains_are_refused(intake_pool: asyncpg.Pool, excl: int, incl: int) -> None:
    def amounts(claim: dict[str, Any]) -> None:
        claim["invoices"][1].update(amount_excl_tax_cents=excl, amount_incl_tax_cents=incl)

    await apply(intake_pool, event(amounts))
    await assert_refused(intake_pool, "AMOUNTS_INCONSISTENT")


async def test_every_edge_code_is_reported_together(intake_pool: asyncpg.Pool) -> None:
    def everything(claim: dict[str, Any]) -> None:
        claim["bank_account"].update(bic="AAAAFR1A", holder_name="***")
        claim["applicant"]["legal_name"] = "A\x07"
        claim["invoices"][0]["amount_excl_tax_cents"] = 99_999_999

    await apply(intake_pool, event(everything, submitted_at="9999-12-31T23:30:00+00:00"))
    await assert_refused(
        intake_pool,
        "BIC_INVALID",
        "HOLDER_NAME_UNWRITABLE",
        "TEXT_CONTROL_CHARACTERS",
        "DATE_OUT_OF_RANGE",
        "AMOUNTS_INCONSISTENT",
    )
