"""Importing the bank's files into payments' database, as the inbound folder's job does: H1's hand-written ISO
20022 files (services/payments/tests/bank_files/files) against attempts those files name."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import asyncpg
import pytest

from guichet_common.settings import project_root
from guichet_common.unit_of_work import announcing, open_unit_of_work
from guichet_payments.bank_files.importer import BankFileImporter, ImportOutcome, entry_id_of
from guichet_payments.bank_files.inbound_folder import InboundFolder
from guichet_payments.bank_files.repository import BankFilesRepository, bank_file, suspense_entries
from guichet_payments.bank_files.suspense import bank_settlement_event_id
from guichet_payments.service import PaymentsService
from guichet_payments.unit_of_work import PaymentsUnitOfWork
from guichet_programme import load_programme

pytestmark = pytest.mark.integration
FILES = Path(__file__).parents[1] / "bank_files" / "files"
PROGRAMME = load_programme(project_root() / "programmes" / "cheque-france-num-2021.toml")
NOW = dt.datetime(2026, 12, 3, 23, tzinfo=dt.UTC)
FIRST = "P0123456789abcdef0123456789abcd"  # attempt 1: its EndToEndId is the payment id
SECOND = "P0123456789abcdef0123456789abce"  # attempt 2: EndToEndId "<payment_id>-2"
BATCH = "AL-20261202-180000-a1b2c3"
PAYMENTS = PaymentsService(programmes={PROGRAMME.id: PROGRAMME}, clock=lambda: NOW)
IMPORTER = BankFileImporter(PAYMENTS)


async def sent(
    pool: asyncpg.Pool, payment_id: str, attempt: int, claim_id: str, cents: int, iban: str, batch: str
) -> None:
    """A payment whose attempt `attempt` went into the SEPA file `batch`."""
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO budgets (programme, total_cents, reserved_cents) VALUES ($1, 10000000, 1000000)"
            " ON CONFLICT DO NOTHING",
            PROGRAMME.id,
        )
        await conn.execute(
            "INSERT INTO batches (batch_id, programme, file_path, file_sha256, transfer_count, control_sum_cents,"
            " requested_execution_date) VALUES ($1, $2, '/dev/null', repeat('0', 64), 2, 0, '2026-12-03')"
            " ON CONFLICT DO NOTHING",
            batch,
            PROGRAMME.id,
        )
        await conn.execute(
            "INSERT INTO payments (payment_id, claim_id, programme, siren, amount_cents, submitted_at, status,"
            " attempt) VALUES ($1, $2, $3, $4, $5, $6, 'sent', $7)",
            payment_id,
            claim_id,
            PROGRAMME.id,
            claim_id[-6:].rjust(9, "3"),
            cents,
            NOW,
            attempt,
        )
        await conn.execute(
            "INSERT INTO payment_attempts (payment_id, attempt, end_to_end_id, beneficiary_name, iban, amount_cents,"
            " status, batch_id) VALUES ($1, $2, $3, 'SARL EXEMPLE', $4, $5, 'sent', $6)",
            payment_id,
            attempt,
            payment_id if attempt == 1 else f"{payment_id}-{attempt}",
            iban,
            cents,
            batch,
        )


@pytest.fixture
async def pool(payments_pool: asyncpg.Pool) -> asyncpg.Pool:
    """The two attempts H1's files speak of, both sent in the same batch."""
    await sent(payments_pool, FIRST, 1, "C-000123", 15000, "FR1420041010050500013M02606", BATCH)
    await sent(payments_pool, SECOND, 2, "C-000124", 7550, "DE89370400440532013000", BATCH)
    return payments_pool


async def import_file(pool: asyncpg.Pool, name: str, content: bytes | None = None) -> ImportOutcome:
    """One import in one committed unit of work, as the inbound folder's job runs it (announcing set-asides)."""
    content = (FILES / name).read_bytes() if content is None else content
    async with open_unit_of_work(pool, announcing(PaymentsUnitOfWork, "payments", "")) as uow:
        outcome = await IMPORTER.import_file(uow, name, content, NOW)
        await uow.commit()
    return outcome


async def settlements(pool: asyncpg.Pool) -> list[dict[str, object]]:
    rows = await pool.fetch(
        "SELECT key, value FROM outbox WHERE topic = 'payments.settlements.v1' ORDER BY id", timeout=10
    )
    return [{"key": row["key"].decode(), **json.loads(row["value"])} for row in rows]


async def snapshot(pool: asyncpg.Pool) -> tuple[object, ...]:
    tables = ("bank_files", "bank_entries", "outbox", "set_aside_items", "payment_attempts", "payments", "batches")
    found = []
    for table in tables:
        found.append([tuple(row) for row in await pool.fetch(f"SELECT * FROM {table} ORDER BY 1, 2")])
    return tuple(found)


async def test_a_booked_debit_becomes_a_settled_event_on_payments_outbox_with_its_deterministic_id(
    pool: asyncpg.Pool,
) -> None:
    outcome = await import_file(pool, "camt054_booked_and_returns.xml")

    assert (outcome.outcome, outcome.message, dict(outcome.counts)) == (
        "imported",
        "camt.054.001.02",
        {"reported": 4, "suspense": 1},
    )
    booked, booked_second, returned, returned_without_id = await settlements(pool)
    assert booked == {
        "key": FIRST,
        "event_id": str(bank_settlement_event_id(FIRST, 1, "settled", "BK-DBIT-0001")),
        "occurred_at": booked["occurred_at"],
        "payment_id": FIRST,
        "end_to_end_id": FIRST,
        "status": "settled",
        "value_date": "2026-12-03",
        "attempt": 1,
    }
    assert (booked_second["payment_id"], booked_second["attempt"], booked_second["status"]) == (SECOND, 2, "settled")
    assert (returned["payment_id"], returned["status"], returned["return_reason_code"]) == (FIRST, "returned", "AC04")
    # The bank dropped this return's EndToEndId: amount, account and the claim in the remittance found it.
    assert (returned_without_id["payment_id"], returned_without_id["attempt"]) == (SECOND, 2)
    assert returned_without_id["return_reason_code"] == "AC01"
    matched_by = dict(
        await pool.fetch("SELECT entry_index, matched_by FROM bank_entries WHERE state = 'reported' ORDER BY 1")
    )
    assert matched_by == {0: "end_to_end_id", 1: "end_to_end_id", 2: "end_to_end_id", 3: "amount_iban_remittance"}
    stored = await pool.fetchval(
        "SELECT settlement_event_id FROM bank_entries WHERE entry_id = $1",
        entry_id_of(outcome.file_sha256, 0),
    )
    assert str(stored) == booked["event_id"]
    # Nothing is applied here: payments applies the events when it consumes them, like finance's reports.
    assert await pool.fetchval("SELECT count(*) FROM payment_attempts WHERE status <> 'sent'") == 0


async def test_importing_a_file_twice_changes_nothing(pool: asyncpg.Pool) -> None:
    first = await import_file(pool, "camt054_booked_and_returns.xml")
    before = await snapshot(pool)

    again = await import_file(pool, "renamed.xml", (FILES / "camt054_booked_and_returns.xml").read_bytes())

    assert (again.outcome, again.file_sha256) == ("already_imported", first.file_sha256)
    assert await snapshot(pool) == before
    async with pool.acquire() as conn:
        record = await bank_file(conn, first.file_sha256)
    assert record is not None and (record.file_name, record.entry_count) == ("camt054_booked_and_returns.xml", 5)
    assert record.counts == {"reported": 4, "suspense": 1}


async def test_a_refused_file_leaves_nothing_but_its_refusal(pool: asyncpg.Pool) -> None:
    before = await snapshot(pool)

    outcome = await import_file(pool, "refused_camt054_schema.xml")

    assert outcome.outcome == "refused" and outcome.refusal is not None
    assert outcome.refusal.startswith(f"refused_camt054_schema.xml: {outcome.refused_element}: ")
    files = await pool.fetch("SELECT file_name, outcome, refusal, entry_count FROM bank_files")
    assert [tuple(row) for row in files] == [("refused_camt054_schema.xml", "refused", outcome.refusal, 0)]
    after = await snapshot(pool)
    assert after[1:] == before[1:]  # no entry, no event, nothing set aside, no attempt moved


async def test_an_entry_matching_nothing_goes_to_suspense_and_is_set_aside(pool: asyncpg.Pool) -> None:
    outcome = await import_file(pool, "camt054_booked_and_returns.xml")

    credit = entry_id_of(outcome.file_sha256, 4)
    async with pool.acquire() as conn:
        [entry] = await suspense_entries(conn)
    assert (entry.entry_id, entry.effect, entry.amount_cents) == (credit, "credit", 100000)
    assert entry.file_name == "camt054_booked_and_returns.xml" and entry.suspense_reason
    held = await pool.fetch("SELECT kind, item_id, state FROM set_aside_items")
    assert [tuple(row) for row in held] == [("bank_entry", credit, "held")]
    announced = await pool.fetchval("SELECT count(*) FROM outbox WHERE topic = 'operations.set-aside.v1'")
    assert announced == 1


async def test_a_statement_repeating_a_notification_is_a_duplicate_and_publishes_nothing(pool: asyncpg.Pool) -> None:
    await import_file(pool, "camt054_booked_and_returns.xml")
    published = await settlements(pool)

    statement = await import_file(pool, "camt053_day_statement.xml")

    assert (statement.outcome, dict(statement.counts)) == ("imported", {"duplicate": 2})
    assert await settlements(pool) == published
    repeated = await pool.fetch(
        "SELECT payment_id, attempt FROM bank_entries WHERE file_sha256 = $1 ORDER BY entry_index",
        statement.file_sha256,
    )
    # The return it repeats lost every detail in the statement: it still names the attempt of the notification.
    assert [tuple(row) for row in repeated] == [(FIRST, 1), (FIRST, 1)]


async def test_one_debit_for_the_batch_settles_each_transfer_still_sent(pool: asyncpg.Pool) -> None:
    outcome = await import_file(pool, "camt054_batch_booked.xml")

    assert dict(outcome.counts) == {"reported": 1}
    events = await settlements(pool)
    assert sorted((e["payment_id"], e["attempt"], e["status"]) for e in events) == [
        (FIRST, 1, "settled"),
        (SECOND, 2, "settled"),
    ]
    assert events[0]["event_id"] == str(bank_settlement_event_id(FIRST, 1, "settled", "BK-BATCH-0001"))


async def test_a_rejected_file_of_no_batch_of_ours_goes_to_suspense(pool: asyncpg.Pool) -> None:
    outcome = await import_file(pool, "pain002_file_rejected.xml")

    assert dict(outcome.counts) == {"suspense": 1}
    assert await settlements(pool) == []


async def test_the_folder_moves_a_file_out_only_once_the_database_knows_it(pool: asyncpg.Pool, tmp_path: Path) -> None:
    folder = InboundFolder(tmp_path, IMPORTER, clock=lambda: NOW)
    folder.prepare()
    shutil.copy(FILES / "camt054_booked_and_returns.xml", tmp_path / "notification.XML")
    shutil.copy(FILES / "refused_camt054_schema.xml", tmp_path / "broken.xml")
    (tmp_path / ".notification.xml.tmp").write_bytes(b"half written")

    async def turn() -> int:
        async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
            done = await folder.import_next(uow)
            await uow.commit()
        return done

    assert [await turn() for _ in range(3)] == [1, 1, 0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".notification.xml.tmp", "imported", "refused"]
    assert [p.name for p in (tmp_path / "imported").iterdir()] == ["notification.XML"]
    assert [p.name for p in (tmp_path / "refused").iterdir()] == ["broken.xml"]
    assert await pool.fetchval("SELECT count(*) FROM bank_files") == 2


async def test_rejected_transfers_become_returns_with_their_reason(pool: asyncpg.Pool) -> None:
    outcome = await import_file(pool, "pain002_two_rejected.xml")

    assert dict(outcome.counts) == {"reported": 2}
    events = await settlements(pool)
    assert [(e["payment_id"], e["attempt"], e["status"], e["return_reason_code"]) for e in events] == [
        (FIRST, 1, "returned", "AC01"),
        (SECOND, 2, "returned", "MS03"),
    ]


async def test_a_rejected_file_of_ours_sends_its_payments_again_at_once(pool: asyncpg.Pool) -> None:
    rejected_batch, payment_id = "OC-20261202-190000-d4e5f6", "P9999999999abcdef0123456789abcd"
    await sent(pool, payment_id, 1, "C-000999", 30000, "FR7630006000011234567890189", rejected_batch)

    outcome = await import_file(pool, "pain002_file_rejected.xml")

    assert dict(outcome.counts) == {"reported": 1}
    assert await settlements(pool) == []  # not a settlement: applied here, announced as scheduled again
    attempts = await pool.fetch(
        "SELECT attempt, status FROM payment_attempts WHERE payment_id = $1 ORDER BY attempt", payment_id
    )
    assert [tuple(row) for row in attempts] == [(1, "rejected"), (2, "scheduled")]
    statuses = await pool.fetch("SELECT value FROM outbox WHERE topic = 'claims.status.v1'")
    assert [json.loads(row["value"])["status"] for row in statuses] == ["payment_scheduled"]


async def test_a_file_that_fails_to_import_is_refused_whole_instead_of_holding_the_folder_up(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: object, end_to_end_id: str) -> list[object]:
        raise ValueError("a bug met while matching")

    monkeypatch.setattr(BankFilesRepository, "attempts_by_end_to_end_id", broken)
    before = await snapshot(pool)

    outcome = await import_file(pool, "camt054_booked_and_returns.xml")

    assert (outcome.outcome, outcome.refused_element) == ("refused", "(import)")
    assert "ValueError" in (outcome.refusal or "")
    assert (await snapshot(pool))[1:] == before[1:]  # its entries, events and set-asides were undone
