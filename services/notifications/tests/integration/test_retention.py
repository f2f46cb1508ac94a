"""The retention clock and erasure requests on real PostgreSQL, through the service's own subscriptions and job: the
deadlines are kept in `claim_statuses`, the sweep erases and announces once, an erasure refused is recorded although
its command's savepoint is rolled back, and a status for an erased claim mails nobody (counted 'unaddressed')."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
import pytest

from guichet_common.contracts.backoffice import CommandOutcomeV1, OperatorCommandV1
from guichet_common.contracts.internal import APPLICANT_CONTACTS_TOPIC
from guichet_common.contracts.privacy import PrivacyErasedV1
from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.contracts.status import ClaimStatusV1
from guichet_common.records import InboundRecord
from guichet_common.topics import OPERATOR_COMMANDS
from guichet_common.unit_of_work import open_unit_of_work
from guichet_notifications import erasure, status_repository
from guichet_notifications.unit_of_work import NotificationsUnitOfWork

from ..unit.fakes import claim_keys, sealed_contact_record, subscriptions

pytestmark = pytest.mark.integration
T0 = dt.datetime(2021, 1, 31, 10, tzinfo=dt.UTC)
COMMANDS = OPERATOR_COMMANDS["notifications"].name


@pytest.fixture
def handlers() -> dict[str, Any]:
    return subscriptions("rejected,refused")  # a fresh process: its own opener


async def apply(pool: asyncpg.Pool, subscription: Any, record: InboundRecord) -> None:
    async with open_unit_of_work(pool, NotificationsUnitOfWork) as uow:
        await subscription.apply(uow, [record])


async def claim(
    pool: asyncpg.Pool, handlers: dict[str, Any], claim_id: str, *statuses: tuple[str, dt.datetime]
) -> None:
    async with open_unit_of_work(pool, NotificationsUnitOfWork) as uow:
        data_key = (await claim_keys(uow, claim_id))[claim_id]
        await uow.commit()
    await apply(pool, handlers[APPLICANT_CONTACTS_TOPIC], sealed_contact_record(claim_id, data_key))
    await follow(pool, handlers, claim_id, *statuses)


async def follow(
    pool: asyncpg.Pool, handlers: dict[str, Any], claim_id: str, *statuses: tuple[str, dt.datetime]
) -> None:
    for status, at in statuses:
        event = ClaimStatusV1(
            event_id=uuid.uuid4(), occurred_at=at, claim_id=claim_id, programme="p", status=status, reasons=[]
        )  # type: ignore[arg-type]
        record = InboundRecord(CLAIMS_STATUS, 0, 0, claim_id.encode(), event.model_dump_json().encode())
        await apply(pool, handlers[CLAIMS_STATUS], record)


async def sweep(pool: asyncpg.Pool, handlers: dict[str, Any], now: dt.datetime) -> int:
    opener = handlers[APPLICANT_CONTACTS_TOPIC].use_case.__self__.opener
    async with open_unit_of_work(pool, NotificationsUnitOfWork) as uow:
        done = await erasure.expire_personal_data(uow, now, opener, "t.")
        await uow.commit()
    return done


async def announced(pool: asyncpg.Pool) -> list[PrivacyErasedV1]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE topic LIKE '%privacy.erased.v1' ORDER BY id")
    return [PrivacyErasedV1.model_validate_json(r["value"]) for r in rows]


async def test_the_sweep_erases_each_kind_at_its_deadline_once_and_announces_it(
    notifications_pool: asyncpg.Pool, handlers: dict[str, Any]
) -> None:
    pool = notifications_pool
    await claim(pool, handlers, "CFN-1", ("received", T0), ("rejected", T0))
    row = await pool.fetchrow("SELECT status, final_at, contact_due_at, bank_due_at FROM claim_statuses")
    # 31 January + 24 months, + 13 months: clamped to the end of February.
    assert dict(row) == {
        "status": "rejected",
        "final_at": T0,
        "contact_due_at": dt.datetime(2023, 1, 31, 10, tzinfo=dt.UTC),
        "bank_due_at": dt.datetime(2022, 2, 28, 10, tzinfo=dt.UTC),
    }
    assert await sweep(pool, handlers, dt.datetime(2022, 2, 28, 9, tzinfo=dt.UTC)) == 0
    assert await sweep(pool, handlers, dt.datetime(2022, 2, 28, 10, tzinfo=dt.UTC)) == 1
    assert await pool.fetchval("SELECT iban_last4 FROM contacts") is None
    assert await pool.fetchval("SELECT email FROM contacts") == "claire@example.fr"
    assert await sweep(pool, handlers, dt.datetime(2023, 2, 1, tzinfo=dt.UTC)) == 1
    contact = await pool.fetchrow("SELECT email, full_name, iban_last4 FROM contacts WHERE claim_id = 'CFN-1'")
    assert tuple(contact) == (None, None, None)
    keys = await pool.fetch("SELECT kind, wrapped_key, destroyed_at FROM privacy_keys ORDER BY kind")
    assert [(k["kind"], k["wrapped_key"], k["destroyed_at"] is not None) for k in keys] == [
        ("bank", None, True),
        ("contact", None, True),
    ]
    assert [(e.kind, e.reason, e.service) for e in await announced(pool)] == [
        ("bank", "retention", "notifications"),
        ("contact", "retention", "notifications"),
    ]
    erasures = await pool.fetch("SELECT kind, reason FROM privacy_erasures ORDER BY kind")
    assert [tuple(e) for e in erasures] == [("bank", "retention"), ("contact", "retention")]
    assert await sweep(pool, handlers, dt.datetime(2030, 1, 1, tzinfo=dt.UTC)) == 0 and len(await announced(pool)) == 2

    # The rejection's e-mail, never sent (no sender ran), will not be now; nor will one a later status owes: both
    # are 'unaddressed', counted with the failed ones.
    await follow(pool, handlers, "CFN-1", ("refused", dt.datetime(2023, 3, 1, tzinfo=dt.UTC)))
    states = await pool.fetch("SELECT kind, state FROM emails WHERE claim_id = 'CFN-1' ORDER BY kind")
    assert [tuple(s) for s in states] == [("refused", "unaddressed"), ("rejected", "unaddressed")]
    async with pool.acquire() as conn:
        figures = await status_repository.stage_figures(conn)
    assert figures.counts["unaddressed"] == 2 and figures.failed == 2


def command(action: str, claim_id: str) -> InboundRecord:
    event = OperatorCommandV1.model_validate(
        {
            "event_id": uuid.uuid4(),
            "occurred_at": T0,
            "service": "notifications",
            "action": action,
            "target": "request",
            "requested_by": "dpo",
            "reason": "article 17",
            "claim_ids": [claim_id],
        },
        strict=False,
    )
    return InboundRecord(COMMANDS, 0, 0, b"request", event.model_dump_json().encode())


async def test_an_erasure_refused_under_review_is_recorded_and_a_granted_one_is_applied(
    notifications_pool: asyncpg.Pool, handlers: dict[str, Any]
) -> None:
    pool = notifications_pool
    await claim(pool, handlers, "CFN-2", ("received", T0), ("under_review", T0))
    await apply(pool, handlers[COMMANDS], command("privacy_erase", "CFN-2"))
    [outcome] = [
        CommandOutcomeV1.model_validate_json(r["value"])
        for r in await pool.fetch("SELECT value FROM outbox WHERE topic LIKE '%command-outcomes.v1'")
    ]
    assert outcome.outcome == "refused" and outcome.detail.startswith("ERASURE_REFUSED_UNDER_REVIEW : CFN-2 : ")
    recorded = await pool.fetchrow("SELECT decision, code, claim_status, requested_by FROM privacy_requests")
    assert tuple(recorded) == ("refused", "ERASURE_REFUSED_UNDER_REVIEW", "under_review", "dpo")
    assert await pool.fetchval("SELECT email FROM contacts WHERE claim_id = 'CFN-2'") == "claire@example.fr"
    assert await announced(pool) == []

    await follow(pool, handlers, "CFN-2", ("rejected", T0 + dt.timedelta(days=1)))
    await apply(pool, handlers[COMMANDS], command("privacy_erase", "CFN-2"))
    decisions = await pool.fetch("SELECT decision FROM privacy_requests ORDER BY decided_at, decision")
    assert sorted(d["decision"] for d in decisions) == ["accepted", "refused"]
    assert await pool.fetchval("SELECT email FROM contacts WHERE claim_id = 'CFN-2'") is None
    assert sorted((e.kind, e.reason) for e in await announced(pool)) == [("bank", "request"), ("contact", "request")]


async def test_a_rectified_contact_replaces_the_address_and_an_erased_one_stays_erased(
    notifications_pool: asyncpg.Pool, handlers: dict[str, Any]
) -> None:
    pool = notifications_pool
    async with open_unit_of_work(pool, NotificationsUnitOfWork) as uow:
        data_key = (await claim_keys(uow, "CFN-3"))[claim_id := "CFN-3"]
        await uow.commit()
    contacts = handlers[APPLICANT_CONTACTS_TOPIC]
    await apply(pool, contacts, sealed_contact_record(claim_id, data_key))
    await apply(pool, contacts, sealed_contact_record(claim_id, data_key, "second@example.fr"))
    assert await pool.fetchval("SELECT email FROM contacts") == "claire@example.fr"
    rectified = sealed_contact_record(claim_id, data_key, "claire.m@example.fr", rectification_id=uuid.uuid4())
    await apply(pool, contacts, rectified)
    assert await pool.fetchval("SELECT email FROM contacts") == "claire.m@example.fr"
    await follow(pool, handlers, claim_id, ("rejected", T0))
    await sweep(pool, handlers, dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    await apply(pool, contacts, rectified)
    assert await pool.fetchval("SELECT email FROM contacts") is None
