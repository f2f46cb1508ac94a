"""The registry-deadline job never jams on one claim: a submission time at the end of the calendar is judged
(it overflowed in Paris time), and a claim that cannot be judged for any other reason is set aside once, with
its reason, while every other claim past its deadline is judged."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import asyncpg
import pytest
from structlog.testing import capture_logs

from guichet_common.contracts import EXAMPLES, ClaimRegisteredV1, ClaimSubmittedV1
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.set_aside import held_items, record_decision
from guichet_common.settings import project_root
from guichet_common.unit_of_work import open_unit_of_work
from guichet_eligibility import set_aside_repository
from guichet_eligibility.handlers import EligibilityHandlers
from guichet_eligibility.service import EligibilityService
from guichet_eligibility.unit_of_work import EligibilityUnitOfWork
from guichet_programme import load_programmes

from .sealed_claims import registered_event

pytestmark = pytest.mark.integration
CLAIM = ClaimSubmittedV1.model_validate_json((EXAMPLES / "claims.submitted.v1.json").read_bytes()).claim
PROGRAMMES = load_programmes(project_root() / "programmes")
WAITING = EligibilityService(programmes=PROGRAMMES, registry_grace=dt.timedelta(hours=1))
END_OF_TIME = dt.datetime(9999, 12, 31, 23, 30, tzinfo=dt.UTC)
CLAIMS_FEED = Subscription(EligibilityHandlers(WAITING).claims_registered, contract(ClaimRegisteredV1))


def registered(n: int, submitted_at: dt.datetime = CLAIM.submitted_at) -> InboundRecord:
    siren = f"{400000000 + n}"  # none of them is in the registry copy
    claim = CLAIM.model_copy(
        update={
            "claim_id": f"CFN-DEADLINE-{n:04d}",
            "submitted_at": submitted_at,
            "applicant": CLAIM.applicant.model_copy(update={"siren": siren}),
            "invoices": [
                invoice.model_copy(update={"invoice_number": f"{invoice.invoice_number}-{n}"})
                for invoice in CLAIM.invoices
            ],
            "bank_account": CLAIM.bank_account.model_copy(update={"iban": f"FR76300060000112345678901{n % 90 + 10}"}),
        }
    )
    event = registered_event(
        event_id=uuid.uuid4(), occurred_at=CLAIM.submitted_at, correlation_id=uuid.uuid4(), claim=claim
    )
    return InboundRecord("intake.claims-registered.v1", 0, n, siren.encode(), event.model_dump_json().encode())


async def run(pool: asyncpg.Pool, job, *args) -> object:
    async with pool.acquire() as conn, conn.transaction():
        return await job(conn, *args)


async def past_deadline(pool: asyncpg.Pool, *records: InboundRecord) -> None:
    async with open_unit_of_work(pool, EligibilityUnitOfWork) as uow:
        await CLAIMS_FEED.apply(uow, list(records))
    assert await pool.fetchval("SELECT count(*) FROM claims WHERE status = 'awaiting_registry'") == len(records)
    await pool.execute("UPDATE claims SET registry_deadline = now() - interval '1 second'")


async def sweep(pool: asyncpg.Pool, service: EligibilityService) -> int:
    """One turn of the registry-deadline job, committed as the background loop commits it."""
    async with open_unit_of_work(pool, EligibilityUnitOfWork) as uow:
        judged = await service.judge_past_registry_deadline(uow)
        await uow.commit()
    return judged


async def statuses(pool: asyncpg.Pool) -> dict[str, str]:
    return dict(await pool.fetch("SELECT claim_id, status FROM claims ORDER BY claim_id"))


async def test_a_claim_submitted_at_the_end_of_the_calendar_does_not_stop_the_others(
    eligibility_pool: asyncpg.Pool,
) -> None:
    await past_deadline(eligibility_pool, registered(1), registered(2, END_OF_TIME), registered(3))
    assert await sweep(eligibility_pool, WAITING) == 3
    judged = await statuses(eligibility_pool)
    assert judged["CFN-DEADLINE-0001"] == judged["CFN-DEADLINE-0003"] == "under_review"
    assert judged["CFN-DEADLINE-0002"] == "rejected"  # filed outside the window, as a claim from the future is
    reasons = await eligibility_pool.fetchval("SELECT reasons FROM decisions WHERE claim_id = 'CFN-DEADLINE-0002'")
    assert "FILED_OUTSIDE_WINDOW" in reasons


async def test_a_claim_that_cannot_be_judged_is_set_aside_once_and_the_others_are_judged(
    eligibility_pool: asyncpg.Pool,
) -> None:
    await past_deadline(eligibility_pool, registered(1), registered(2), registered(3))
    # Stored by some past bug: a payload the claim model no longer reads.
    await eligibility_pool.execute(
        "UPDATE claims SET payload = payload - 'applicant' WHERE claim_id = 'CFN-DEADLINE-0002'"
    )
    with capture_logs() as logs:
        assert await sweep(eligibility_pool, WAITING) == 3
        assert await sweep(eligibility_pool, WAITING) == 0
    judged = await statuses(eligibility_pool)
    assert (judged["CFN-DEADLINE-0001"], judged["CFN-DEADLINE-0002"], judged["CFN-DEADLINE-0003"]) == (
        "under_review",
        "awaiting_registry",
        "under_review",
    )
    assert await eligibility_pool.fetchval(
        "SELECT set_aside_at IS NOT NULL FROM claims WHERE claim_id = 'CFN-DEADLINE-0002'"
    )
    [held] = await held_items(eligibility_pool)
    assert (held.kind, held.item_id) == ("registry_deadline", "CFN-DEADLINE-0002")
    assert "applicant" in held.reason and CLAIM.applicant.legal_name not in held.reason
    assert [e["item_id"] for e in logs if e["event"] == "item_set_aside"] == ["CFN-DEADLINE-0002"]


async def test_release_puts_the_claim_back_in_line_and_cancel_sends_it_to_review(
    eligibility_pool: asyncpg.Pool,
) -> None:
    await past_deadline(eligibility_pool, registered(1), registered(2))
    await eligibility_pool.execute("UPDATE claims SET payload = payload - 'applicant'")
    await sweep(eligibility_pool, WAITING)
    assert len(await held_items(eligibility_pool)) == 2

    async def release(conn: asyncpg.Connection) -> None:
        await record_decision(conn, "registry_deadline", "CFN-DEADLINE-0001", "released", "alice", "payload fixed")
        await set_aside_repository.release(conn, "registry_deadline", "CFN-DEADLINE-0001")

    async def cancel(conn: asyncpg.Connection) -> None:
        await record_decision(conn, "registry_deadline", "CFN-DEADLINE-0002", "cancelled", "alice", "by hand")
        await set_aside_repository.cancel(conn, "registry_deadline", "CFN-DEADLINE-0002")

    await run(eligibility_pool, release)
    await run(eligibility_pool, cancel)
    row = await eligibility_pool.fetchrow(
        "SELECT status, set_aside_at, registry_deadline FROM claims WHERE claim_id = 'CFN-DEADLINE-0001'"
    )
    assert row["status"] == "awaiting_registry" and row["set_aside_at"] is None and row["registry_deadline"]
    reviewed = await eligibility_pool.fetchrow(
        "SELECT c.status, d.outcome, d.reasons FROM claims c JOIN decisions d USING (claim_id)"
        " WHERE claim_id = 'CFN-DEADLINE-0002'"
    )
    assert (reviewed["status"], reviewed["outcome"], list(reviewed["reasons"])) == (
        "under_review",
        "under_review",
        ["REGISTRY_NO_RECORD"],
    )
    rows = await eligibility_pool.fetch("SELECT value FROM outbox WHERE topic = 'claims.status.v1'")
    announced = [json.loads(r["value"]) for r in rows]
    assert [(a["claim_id"], a["status"], a["reasons"]) for a in announced] == [
        ("CFN-DEADLINE-0002", "under_review", ["REGISTRY_NO_RECORD"])
    ]
    assert await held_items(eligibility_pool) == []
