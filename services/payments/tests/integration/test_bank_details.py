"""New bank details after a return, on real PostgreSQL: kept only in the form the SEPA file will carry, refused
(and the portal told why, on a repeated `payment_returned`) when they cannot be written or when the account
already receives another company's grant."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import asyncpg
import pytest

from guichet_common.contracts import ClaimBankDetailsV1, ClaimDecidedV1, PaymentSettlementV1
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.settings import project_root
from guichet_common.unit_of_work import open_unit_of_work
from guichet_payments import sepa
from guichet_payments.service import PaymentsService
from guichet_payments.settlement import SettlementService, decode_bank_details, decode_settlement
from guichet_payments.unit_of_work import PaymentsUnitOfWork
from guichet_programme import load_programme

pytestmark = pytest.mark.integration
PROGRAMME = load_programme(project_root() / "programmes" / "cheque-france-num-2021.toml")
T0 = dt.datetime(2021, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))
SHARED_IBAN = "FR7693233145437431125912957"  # every approval below is paid to it
NEW_IBAN = "FR7630006000011234567890189"
RETURNED_CLAIM = "CFN-BANK-0000001"


def approval(n: int, iban: str = SHARED_IBAN) -> InboundRecord:
    event = ClaimDecidedV1(
        event_id=uuid.uuid4(),
        occurred_at=T0,
        correlation_id=uuid.uuid4(),
        claim_id=f"CFN-BANK-{n:07d}",
        programme=PROGRAMME.id,
        siren=f"{200000000 + n}",
        decision="approved",
        rule_version="2021-01-28",
        grant_amount_cents=50_000,
        submitted_at=T0 + dt.timedelta(seconds=n),
        beneficiary_name="BOUTIQUE TEST",
        iban=iban,
    )
    return InboundRecord("eligibility.decisions.v1", 0, n, event.siren.encode(), event.model_dump_json().encode())


def new_details(**changes: Any) -> InboundRecord:
    fields = {"iban": NEW_IBAN, "holder_name": "BOUTIQUE TEST", **changes}
    # Built as JSON, not through the model: these values pass the contract and must be judged by payments.
    value = {"event_id": str(uuid.uuid4()), "occurred_at": T0.isoformat(), "claim_id": RETURNED_CLAIM, **fields}
    ClaimBankDetailsV1.model_validate_json(json.dumps(value))
    return InboundRecord("claims.bank-details.v1", 0, 0, RETURNED_CLAIM.encode(), json.dumps(value).encode())


DECODERS = {
    "eligibility.decisions.v1": contract(ClaimDecidedV1),
    "payments.settlements.v1": decode_settlement,
    "claims.bank-details.v1": decode_bank_details,
}


async def run(pool: asyncpg.Pool, use_case, records: list[InboundRecord]) -> None:
    """One batch of records, decoded as their topic says, through the inbox, to `use_case`, committed."""
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        await Subscription(use_case, DECODERS[records[0].topic]).apply(uow, records)


async def open_envelope(pool: asyncpg.Pool, payments: PaymentsService) -> None:
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        await payments.open_envelopes(uow)
        await uow.commit()


async def statuses(pool: asyncpg.Pool) -> list[tuple[str, str, list[str]]]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE topic = 'claims.status.v1' ORDER BY id")
    return [(v["claim_id"], v["status"], v["reasons"]) for v in (json.loads(r["value"]) for r in rows)]


@pytest.fixture
async def settlements(payments_pool: asyncpg.Pool) -> SettlementService:
    """Claim 1's payment is sent and returned (AC04); claim 2, another company, is paid to SHARED_IBAN too."""
    payments = PaymentsService(programmes={PROGRAMME.id: PROGRAMME}, clock=lambda: T0)
    service = SettlementService(payments)
    await open_envelope(payments_pool, payments)
    await run(payments_pool, payments.apply_approvals, [approval(1, iban="FR7630004000031234567890143"), approval(2)])
    async with payments_pool.acquire() as conn, conn.transaction():
        # As the batcher leaves them once their file is written (the batcher is not what this file tests).
        await conn.execute("UPDATE payment_attempts SET status = 'sent'")
        await conn.execute("UPDATE payments SET status = 'sent'")
        payment_id = await conn.fetchval("SELECT payment_id FROM payments WHERE claim_id = $1", RETURNED_CLAIM)
    report = PaymentSettlementV1(
        event_id=uuid.uuid4(),
        occurred_at=T0,
        payment_id=payment_id,
        status="returned",
        attempt=1,
        return_reason_code="AC04",
    )
    settled = InboundRecord("payments.settlements.v1", 0, 0, None, report.model_dump_json().encode())
    await run(payments_pool, service.apply_settlements, [settled])
    return service


async def second_attempt(pool: asyncpg.Pool) -> asyncpg.Record | None:
    return await pool.fetchrow(
        "SELECT a.* FROM payment_attempts a JOIN payments p USING (payment_id) WHERE p.claim_id = $1 AND a.attempt = 2",
        RETURNED_CLAIM,
    )


async def assert_refused(pool: asyncpg.Pool, *codes: str) -> None:
    assert await second_attempt(pool) is None
    assert await pool.fetchval("SELECT status FROM payments WHERE claim_id = $1", RETURNED_CLAIM) == "returned"
    assert (await statuses(pool))[-1] == (RETURNED_CLAIM, "payment_returned", list(codes))


@pytest.mark.parametrize(
    "iban",
    [
        "FR76\u00a03000\u00a06000\u00a00112\u00a03456\u00a07890\u00a0189",
        "FR76\t30006000011234567890189",
        "fr7630006000011234567890189",
    ],
)
async def test_new_details_are_kept_in_the_form_the_sepa_file_carries(
    payments_pool: asyncpg.Pool, settlements: SettlementService, iban: str
) -> None:
    await run(payments_pool, settlements.apply_bank_details, [new_details(iban=iban, holder_name="Zoë Ångström")])
    attempt = await second_attempt(payments_pool)
    assert (attempt["iban"], attempt["beneficiary_name"]) == (NEW_IBAN, "Zoe Angstrom")
    transfer = sepa.Transfer(
        attempt["end_to_end_id"], attempt["amount_cents"], attempt["beneficiary_name"], attempt["iban"], None, "R"
    )
    debtor = sepa.Debtor.from_settings(PROGRAMME.payment)
    xml = sepa.credit_transfer_xml(sepa.BatchFile("B-1", debtor, T0.date(), T0, (transfer,)))
    assert NEW_IBAN.encode() in xml


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"holder_name": "@#%*"}, "HOLDER_NAME_UNWRITABLE"),
        ({"bic": "AAAAFR1A"}, "BIC_INVALID"),
        ({"iban": "FR7630006000011234567890188"}, "IBAN_INVALID"),
        ({"holder_name": "BOUTIQUE \u202eTSET"}, "TEXT_CONTROL_CHARACTERS"),
        ({"holder_name": "BOUTIQUE\r\nTEST"}, "TEXT_CONTROL_CHARACTERS"),
    ],
)
async def test_details_a_sepa_file_cannot_carry_are_refused_and_the_portal_is_told(
    payments_pool: asyncpg.Pool, settlements: SettlementService, changes: dict[str, str], code: str
) -> None:
    await run(payments_pool, settlements.apply_bank_details, [new_details(**changes)])
    await assert_refused(payments_pool, code)


async def test_an_account_that_receives_another_companys_grant_is_refused(
    payments_pool: asyncpg.Pool, settlements: SettlementService
) -> None:
    shared_with_spaces = " ".join(SHARED_IBAN[i : i + 4] for i in range(0, len(SHARED_IBAN), 4))
    await run(payments_pool, settlements.apply_bank_details, [new_details(iban=shared_with_spaces)])
    await assert_refused(payments_pool, "IBAN_SHARED")


async def test_an_account_of_a_waiting_company_is_refused_too(payments_pool: asyncpg.Pool) -> None:
    small = PROGRAMME.model_copy(update={"budget": PROGRAMME.budget.model_copy(update={"total_cents": 50_000})})
    payments = PaymentsService(programmes={PROGRAMME.id: small}, clock=lambda: T0)
    service = SettlementService(payments)
    await open_envelope(payments_pool, payments)
    await run(payments_pool, payments.apply_approvals, [approval(1), approval(3, iban=NEW_IBAN)])  # claim 3 waits
    async with payments_pool.acquire() as conn, conn.transaction():
        # As the batcher leaves them once their file is written.
        await conn.execute("UPDATE payment_attempts SET status = 'sent'")
        await conn.execute("UPDATE payments SET status = 'sent'")
        payment_id = await conn.fetchval("SELECT payment_id FROM payments")
    report = PaymentSettlementV1(
        event_id=uuid.uuid4(),
        occurred_at=T0,
        payment_id=payment_id,
        status="returned",
        attempt=1,
        return_reason_code="AC04",
    )
    settled = InboundRecord("payments.settlements.v1", 0, 0, None, report.model_dump_json().encode())
    await run(payments_pool, service.apply_settlements, [settled])
    await run(payments_pool, service.apply_bank_details, [new_details()])
    await assert_refused(payments_pool, "IBAN_SHARED")


async def test_the_same_companys_own_account_is_not_shared(
    payments_pool: asyncpg.Pool, settlements: SettlementService
) -> None:
    await run(payments_pool, settlements.apply_bank_details, [new_details(iban="FR7630004000031234567890143")])
    assert (await second_attempt(payments_pool))["iban"] == "FR7630004000031234567890143"
