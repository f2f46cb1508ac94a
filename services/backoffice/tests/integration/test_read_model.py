"""The projection and the pages' queries on a real PostgreSQL: events in any order, once each, then read back."""

from __future__ import annotations

import time
import uuid
from typing import Any

import asyncpg
import pytest

from guichet_backoffice import read_model
from guichet_backoffice.domain import UNPROJECTABLE_RECORD
from guichet_backoffice.seed import seed_claims
from guichet_backoffice.unit_of_work import BackofficeUnitOfWork, opening
from guichet_common.consumer import BatchProcessor
from guichet_common.contracts.backoffice import CommandOutcomeV1, EmailV1, SetAsideV1
from guichet_common.privacy.keyring import Opener
from guichet_common.records import InboundRecord
from guichet_common.unit_of_work import open_unit_of_work

from ..unit.events import (
    CLAIM,
    KEY_STATES,
    MASTER,
    NOW,
    at,
    budget,
    dead_letter_record,
    issued,
    judgement,
    record,
    registered,
    sepa_file,
    status,
)
from ..unit.fakes import subscriptions

pytestmark = pytest.mark.integration
SUBSCRIPTIONS = subscriptions()
SIREN = CLAIM.applicant.siren


OPENING = opening(Opener(MASTER))


async def project(pool: asyncpg.Pool, topic: str, *events: Any) -> None:
    """Apply the records as the service would, the keys the test events were sealed with being held already (as
    if privacy.claim-keys.v1 had been read first)."""
    records = [e if isinstance(e, InboundRecord) else record(topic, e) for e in events]
    async with open_unit_of_work(pool, OPENING) as uow:
        await uow.keys.put([(s, k, state.wrapped) for (s, k), state in KEY_STATES.items() if state.wrapped], NOW)
        await SUBSCRIPTIONS[topic].apply(uow, records)


async def story(pool: asyncpg.Pool) -> None:
    """CLAIM-001 paid (events out of order), CLAIM-002 under review, CLAIM-003 waitlisted; all one company's."""
    await project(pool, "claims.status.v1", status("CLAIM-001", "paid", 40, payment_id="P-1", amount_cents=150_000))
    await project(pool, "payments.issued.v1", issued("CLAIM-001", "P-1", minutes=30))
    await project(
        pool,
        "claims.status.v1",
        status("CLAIM-001", "received", 0),
        status("CLAIM-001", "approved", 10, amount_cents=150_000),
        status("CLAIM-001", "payment_scheduled", 20, payment_id="P-1", amount_cents=150_000),
        status("CLAIM-002", "under_review", 15, reasons=["INVOICE_REUSED", "IBAN_SHARED"]),
        status("CLAIM-003", "waitlisted", 25),
    )
    await project(pool, "intake.claims-registered.v1", *(registered(f"CLAIM-00{i}") for i in (1, 2, 3)))
    await project(
        pool,
        "eligibility.judgements.v1",
        judgement("CLAIM-001", "approved", 10, grant_amount_cents=150_000),
        judgement("CLAIM-002", "under_review", 15, ("INVOICE_REUSED", "IBAN_SHARED")),
        judgement("CLAIM-003", "approved", 12, grant_amount_cents=90_000),
    )
    email = EmailV1(
        event_id=uuid.uuid4(),
        occurred_at=at(41),
        claim_id="CLAIM-001",
        programme=CLAIM.programme,
        status="payment_sent",
        subject="Votre aide est versée",
        recipient="claire@example.fr",
        outcome="sent",
    )
    await project(pool, "notifications.emails.v1", email, email)
    await project(pool, "payments.sepa-files.v1", sepa_file("B-1", b"<Document>FR76</Document>"))
    await project(pool, "payments.budgets.v1", budget(CLAIM.programme, 240_000, 30), budget(CLAIM.programme, 1, 1))


async def test_a_claims_page_has_its_company_rules_invoices_timeline_emails_and_payment(
    backoffice_pool: asyncpg.Pool,
) -> None:
    await story(backoffice_pool)
    async with backoffice_pool.acquire() as conn:
        detail = await read_model.claim_detail(conn, "CLAIM-001")
        assert await read_model.claim_detail(conn, "CLAIM-404") is None
    assert detail is not None
    assert (detail.claim.status, detail.claim.company_name, detail.claim.grant_amount_cents) == (
        "paid",
        CLAIM.applicant.legal_name,
        150_000,
    )
    assert detail.claim.submitted_at == CLAIM.submitted_at and detail.claim.iban_last4 == CLAIM.bank_account.iban[-4:]
    assert detail.judgement is not None and detail.judgement.status == "approved"
    assert [rule.code for rule in detail.judgement.rules] == ["SIREN_ACTIVE"]
    assert [i.number for i in detail.invoices] == [i.invoice_number for i in CLAIM.invoices]
    assert sorted(o.claim_id for o in detail.other_claims) == ["CLAIM-002", "CLAIM-003"]
    assert [p.status for p in detail.payments] == ["settled"] and detail.payments[0].batch_id == "B-1"
    assert [e.recipient for e in detail.emails] == ["claire@example.fr"]
    kinds = [(e.kind, e.status) for e in detail.timeline]
    assert kinds[0] == ("registration", None) and kinds[-1] == ("email", "payment_sent")
    assert [s for k, s in kinds if k == "status"] == ["received", "approved", "payment_scheduled", "paid"]


async def test_the_review_queue_filters_by_programme_code_and_age_and_counts_the_companys_other_claims(
    backoffice_pool: asyncpg.Pool,
) -> None:
    await story(backoffice_pool)
    async with backoffice_pool.acquire() as conn:
        [entry] = await read_model.review_queue(conn)
        assert (entry.claim_id, entry.reasons, entry.other_claims) == (
            "CLAIM-002",
            ("INVOICE_REUSED", "IBAN_SHARED"),
            2,
        )
        assert await read_model.review_queue(conn, code="IBAN_SHARED", programme=CLAIM.programme) == [entry]
        assert await read_model.review_queue(conn, code="REGISTRY_NO_RECORD") == []
        assert await read_model.review_queue(conn, programme="another") == []
        assert await read_model.review_queue(conn, min_age_days=100_000) == []


async def test_the_dashboard_counts_claims_payments_budgets_and_the_waitlist(backoffice_pool: asyncpg.Pool) -> None:
    await story(backoffice_pool)
    async with backoffice_pool.acquire() as conn:
        figures = await read_model.dashboard(conn)
        scoped = await read_model.dashboard(conn, programme="another")
        waiting = await read_model.waitlist(conn)
        [batch] = await read_model.sepa_batches(conn)
        download = await read_model.sepa_file(conn, "B-1")
    assert figures.claims_by_status == {"paid": 1, "under_review": 1, "waitlisted": 1}
    assert figures.eligibility == {"awaiting_registry": 0, "under_review": 1, "approved": 2, "rejected": 0}
    assert (figures.registered, figures.waitlisted, figures.beneficiaries) == (3, 1, 1)
    assert figures.payments_by_status["settled"] == read_model.PaymentFigure(1, 150_000)
    assert [(b.programme, b.reserved_cents, b.available_cents) for b in figures.budgets] == [
        (CLAIM.programme, 240_000, 10_000_000 - 240_000)
    ]
    assert scoped.registered == 0 and scoped.budgets == []
    assert [(w.position, w.claim_id) for w in waiting] == [(1, "CLAIM-003")]
    assert (batch.batch_id, batch.payments, batch.has_file) == ("B-1", 1, True)
    assert download is not None and download.content == b"<Document>FR76</Document>"


async def test_dead_letters_keep_their_coordinates_and_raw_value_and_show_an_applied_replay(
    backoffice_pool: asyncpg.Pool,
) -> None:
    letter = dead_letter_record("claims.submitted.v1", b'{"iban": "FR7630006000011234567890189"}', "schema: claim")
    await project(backoffice_pool, "claims.submitted.v1.dlq", letter, letter)
    letter_id = f"claims.submitted.v1.dlq:1:{letter.offset}"
    async with backoffice_pool.acquire() as conn:
        [waiting] = await read_model.dead_letters(conn)
        assert (waiting.id, waiting.service, waiting.state, waiting.original_offset) == (
            letter_id,
            "intake",
            "waiting",
            41,
        )
        assert waiting.payload == b'{"iban": "FR7630006000011234567890189"}'
        assert ("trace", "\\x00x") in waiting.headers and ("dlq.reason", "schema: claim") in waiting.headers
        command_id = await replay_decided(conn, letter_id)
    outcome = CommandOutcomeV1(
        event_id=uuid.uuid4(), occurred_at=NOW, command_id=command_id, service="intake", outcome="applied"
    )
    await project(backoffice_pool, "operations.command-outcomes.v1", outcome)
    async with backoffice_pool.acquire() as conn:
        replayed = await read_model.dead_letter(conn, letter_id)
        figures = await read_model.dashboard(conn)
    assert replayed is not None and (replayed.state, replayed.acted_by) == ("replayed", "superviseur")
    assert figures.dead_letters_by_topic == {"claims.submitted.v1": {"total": 1, "acted": 1, "waiting": 0}}


async def replay_decided(conn: asyncpg.Connection, letter_id: str) -> uuid.UUID:
    """A complete replay decision, as the back-office's decisions table holds it once its command left."""
    command_id = uuid.uuid4()
    await conn.execute("INSERT INTO accounts (login, role) VALUES ('superviseur', 'supervisor')")
    await conn.execute(
        "INSERT INTO decisions (id, action, service, target, reason, state, requested_by, requested_at, command_id)"
        " VALUES ($1, 'dead_letter_replay', 'intake', $2, 'corrigé', 'complete', 'superviseur', now(), $3)",
        uuid.uuid4(),
        letter_id,
        command_id,
    )
    return command_id


async def test_set_aside_items_show_the_services_latest_state_and_the_back_offices_own(
    backoffice_pool: asyncpg.Pool,
) -> None:
    held = SetAsideV1(
        event_id=uuid.uuid4(),
        occurred_at=at(1),
        service="payments",
        kind="payment_attempt",
        item_id="P-1:1",
        state="held",
    )
    cancelled = held.model_copy(update={"event_id": uuid.uuid4(), "occurred_at": at(2), "state": "cancelled"})
    other = held.model_copy(update={"event_id": uuid.uuid4(), "item_id": "P-2:1", "reason": "IBAN refusé"})
    await project(backoffice_pool, "operations.set-aside.v1", cancelled, held, other)
    await project(backoffice_pool, "claims.status.v1", record("claims.status.v1", b'{"claim_id": 1}', offset=9))
    async with backoffice_pool.acquire() as conn:
        items = await read_model.set_aside_items(conn)
        every = await read_model.set_aside_items(conn, state=None)
        figures = await read_model.dashboard(conn)
        dead_letters_written = await conn.fetchval("SELECT count(*) FROM outbox WHERE topic LIKE '%.dlq'")
    assert {(i.service, i.kind, i.item_id) for i in items} == {
        ("payments", "payment_attempt", "P-2:1"),
        ("backoffice", UNPROJECTABLE_RECORD, "claims.status.v1/0/9"),
    }
    assert len(every) == 3
    assert figures.set_aside_by_service == {"payments": {"payment_attempt": 1}, "backoffice": {UNPROJECTABLE_RECORD: 1}}
    assert dead_letters_written == 0


async def test_a_record_whose_projection_fails_in_the_database_is_set_aside_not_dead_lettered(
    backoffice_pool: asyncpg.Pool,
) -> None:
    # PostgreSQL refuses a NUL in text: the batch fails, is split, and the one bad record is set aside.
    poisoned = status("CLAIM-009", "received", 0).model_copy(update={"programme": "p\x00"})
    good = status("CLAIM-010", "received", 0)
    processor = BatchProcessor(backoffice_pool, SUBSCRIPTIONS["claims.status.v1"], BackofficeUnitOfWork)
    records = [record("claims.status.v1", poisoned, offset=20), record("claims.status.v1", good, offset=21)]
    await processor.process(records)
    await processor.process(records)  # redelivered: nothing twice
    async with backoffice_pool.acquire() as conn:
        held = await conn.fetch("SELECT kind, item_id FROM set_aside_items")
        claims = await conn.fetch("SELECT claim_id FROM claims")
        dead_letters_written = await conn.fetchval("SELECT count(*) FROM outbox WHERE topic LIKE '%.dlq'")
    assert [tuple(r) for r in held] == [(UNPROJECTABLE_RECORD, "claims.status.v1/0/20")]
    assert [r["claim_id"] for r in claims] == ["CLAIM-010"]
    assert dead_letters_written == 0


async def test_the_seeded_review_queue_answers_within_200_ms_at_100000_claims(backoffice_pool: asyncpg.Pool) -> None:
    filters: list[dict[str, Any]] = [
        {},
        {"programme": "cheque-france-num-2021"},
        {"code": "IBAN_SHARED"},
        {"min_age_days": 30},
        {"code": "HEADCOUNT_TOO_HIGH"},  # no claim has it: must not read the whole queue to say so
    ]
    async with backoffice_pool.acquire() as conn:
        await seed_claims(conn, 100_000)
        timings = []
        for chosen in filters * 6:
            started = time.perf_counter()
            rows = await read_model.review_queue(conn, **chosen)
            timings.append(time.perf_counter() - started)
            assert len(rows) == (0 if chosen.get("code") == "HEADCOUNT_TOO_HIGH" else 200)
    assert sorted(timings)[int(len(timings) * 0.95) - 1] < 0.2, timings
