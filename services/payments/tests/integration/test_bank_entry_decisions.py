"""Bank entries in suspense, on PostgreSQL: a report made from a bank entry that finds its attempt in the wrong state
holds that entry (set aside as `bank_entry`, announced) where finance's own report is only ignored; a return after
the booking takes the money off the paid figure. Finance's decisions arrive as the back-office's commands: settle
to the attempt named (`assign_to`) or by the entry's own references, refused with why when the attempt cannot take
it, or discard; who, why and when are stored on the entry."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from guichet_common.contracts import PaymentSettlementV1
from guichet_common.contracts.backoffice import CommandOutcomeV1, OperatorCommandV1
from guichet_common.operator_command_targets import operator_commands_for
from guichet_common.outbox import queued_messages
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.set_aside import held_items, set_aside
from guichet_common.settings import CommonSettings, project_root
from guichet_common.unit_of_work import announcing, open_unit_of_work
from guichet_payments import operators
from guichet_payments.settlement import SettlementService
from guichet_payments.unit_of_work import PaymentsUnitOfWork
from guichet_programme import Programme, load_programme

from .test_file_rejection import attempt_of_claim, report, sent_batch
from .test_poison_attempts import GOOD_IBAN, PROGRAMME, statuses

pytestmark = pytest.mark.integration
SHA = "cd" * 32
COMMANDS = Subscription(
    use_case=operator_commands_for("payments", CommonSettings(), operators).apply, decode=contract(OperatorCommandV1)
)


@pytest.fixture
def programmes() -> dict[str, Programme]:
    return {PROGRAMME: load_programme(project_root() / "programmes" / f"{PROGRAMME}.toml")}


async def bank_entry(pool: asyncpg.Pool, index: int, effect: str, *, held: bool = True, **columns: Any) -> str:
    """An imported entry; `held`: in suspense and set aside, as the importer leaves one that matched nothing."""
    await pool.execute(
        "INSERT INTO bank_files (file_sha256, file_name, message, outcome, received_at)"
        " VALUES ($1, 'camt054.xml', 'camt.054.001.02', 'imported', now()) ON CONFLICT DO NOTHING",
        SHA,
    )
    entry_id = f"{SHA[:16]}-{index}"
    values = {"state": "suspense" if held else "reported", "suspense_reason": "no attempt" if held else None} | columns
    names = ", ".join(values)
    places = ", ".join(f"${n}" for n in range(5, 5 + len(values)))
    await pool.execute(
        f"INSERT INTO bank_entries (entry_id, file_sha256, entry_index, effect, {names})"
        f" VALUES ($1, $2, $3, $4, {places})",
        entry_id,
        SHA,
        index,
        effect,
        *values.values(),
    )
    if held:
        async with pool.acquire() as conn:
            await set_aside(conn, "bank_entry", entry_id, "no attempt")
    return entry_id


async def decide(
    pool: asyncpg.Pool, action: str, entry_id: str, assign_to: str | None = None, kind: str = "bank_entry"
) -> CommandOutcomeV1:
    sent = OperatorCommandV1.model_validate(
        {
            "event_id": uuid.uuid4(),
            "occurred_at": dt.datetime.now(dt.UTC),
            "service": "payments",
            "action": action,
            "kind": kind,
            "target": entry_id,
            "requested_by": "fiona",
            "reason": "relevé rapproché avec la banque",
            "assign_to": assign_to,
        },
        strict=False,
    )
    record = InboundRecord("backoffice.payments-commands.v1", 0, 0, None, sent.model_dump_json().encode())
    async with open_unit_of_work(pool, announcing(PaymentsUnitOfWork, "payments", "")) as uow:
        await COMMANDS.apply(uow, [record])
    async with pool.acquire() as conn:
        outcomes = [
            CommandOutcomeV1.model_validate_json(m.value)
            for m in await queued_messages(conn, "operations.command-outcomes.v1")
        ]
    return next(outcome for outcome in outcomes if outcome.command_id == sent.event_id)


async def entry(pool: asyncpg.Pool, entry_id: str) -> dict[str, Any]:
    return dict(await pool.fetchrow("SELECT * FROM bank_entries WHERE entry_id = $1", entry_id))


async def test_a_bank_report_the_attempt_cannot_take_holds_its_entry_and_a_return_after_booking_unpays(
    payments_pool: asyncpg.Pool, programmes, tmp_path: Path
) -> None:
    payments, _, _ = await sent_batch(payments_pool, programmes, tmp_path, (1, 2))
    await report(payments_pool, payments, 1, "returned", return_reason_code="AC04")
    first = await attempt_of_claim(payments_pool, 1)
    from_bank = uuid.uuid4()
    booked = await bank_entry(
        payments_pool, 0, "booked", held=False, end_to_end_id=first["end_to_end_id"], settlement_event_id=from_bank
    )
    reports = [
        PaymentSettlementV1(
            event_id=event_id,
            occurred_at=dt.datetime.now(dt.UTC),
            payment_id=first["payment_id"],
            status="settled",
            attempt=1,
        )
        for event_id in (uuid.uuid4(), from_bank)  # finance's own JSON report, then the bank entry's
    ]
    async with open_unit_of_work(payments_pool, announcing(PaymentsUnitOfWork, "payments", "")) as uow:
        await SettlementService(payments).apply_settlements(uow, reports)
        await uow.commit()
    assert (await attempt_of_claim(payments_pool, 1))["status"] == "returned"
    held = await entry(payments_pool, booked)
    assert held["state"] == "suspense" and "not awaiting it" in held["suspense_reason"]
    assert [(item.kind, item.item_id) for item in await held_items(payments_pool)] == [("bank_entry", booked)]
    async with payments_pool.acquire() as conn:
        [announced] = await queued_messages(conn, "operations.set-aside.v1")
    assert json.loads(announced.value)["state"] == "held" and json.loads(announced.value)["item_id"] == booked

    await report(payments_pool, payments, 2, "settled")
    assert await payments_pool.fetchval("SELECT paid_cents FROM budgets") == 50_000
    await report(payments_pool, payments, 2, "returned", return_reason_code="MD06")
    envelope = await payments_pool.fetchrow("SELECT reserved_cents, paid_cents FROM budgets")
    assert (envelope["reserved_cents"], envelope["paid_cents"]) == (100_000, 0)
    assert (await attempt_of_claim(payments_pool, 2))["status"] == "returned"
    assert [s for s in await statuses(payments_pool) if s[0].endswith("02")][-1][1:] == ("payment_returned", ["MD06"])


async def test_finance_settles_an_entry_to_an_attempt_refused_when_it_cannot_take_it_or_discards_one(
    payments_pool: asyncpg.Pool, programmes, tmp_path: Path
) -> None:
    payments, _, _ = await sent_batch(payments_pool, programmes, tmp_path, (1, 2, 3))
    await report(payments_pool, payments, 1, "settled")
    first, second, third = [await attempt_of_claim(payments_pool, n) for n in (1, 2, 3)]
    booked = await bank_entry(payments_pool, 0, "booked", amount_cents=50_000, iban=GOOD_IBAN)

    already = await decide(payments_pool, "set_aside_release", booked, f"{first['payment_id']}:1")
    assert already.outcome == "refused" and "is already settled" in already.detail
    unknown = await decide(payments_pool, "set_aside_release", booked, "PNOPE:1")
    assert unknown.outcome == "refused" and "no attempt 1 of payment PNOPE" in unknown.detail
    several = await decide(payments_pool, "set_aside_release", booked)  # amount and account: all three match
    assert several.outcome == "refused" and "several attempts" in several.detail
    assert (await entry(payments_pool, booked))["state"] == "suspense"
    assert booked in {item.item_id for item in await held_items(payments_pool)}

    settled = await decide(payments_pool, "set_aside_release", booked, f"{second['payment_id']}:1")
    assert settled.outcome == "applied", settled.detail
    assert (await attempt_of_claim(payments_pool, 2))["status"] == "settled"
    assert await payments_pool.fetchval("SELECT paid_cents FROM budgets") == 100_000
    decided = await entry(payments_pool, booked)
    assert {k: decided[k] for k in ("state", "payment_id", "attempt", "matched_by", "decided_by")} == {
        "state": "settled",
        "payment_id": second["payment_id"],
        "attempt": 1,
        "matched_by": "operator",
        "decided_by": "fiona",
    }
    assert decided["decision_reason"] == "relevé rapproché avec la banque" and decided["decided_at"] is not None
    assert decided["settlement_event_id"] is not None
    assert [s for s in await statuses(payments_pool) if s[0].endswith("02")][-1][1] == "paid"

    returned = await bank_entry(payments_pool, 1, "returned", end_to_end_id=third["end_to_end_id"], reason_code="AC04")
    rematched = await decide(payments_pool, "set_aside_release", returned)  # by its own EndToEndId
    assert rematched.outcome == "applied", rematched.detail
    assert (await attempt_of_claim(payments_pool, 3))["status"] == "returned"
    assert (await entry(payments_pool, returned))["matched_by"] == "end_to_end_id"
    again = await decide(payments_pool, "set_aside_release", returned)
    assert again.outcome == "refused"  # decided once

    credit = await bank_entry(payments_pool, 2, "credit", amount_cents=1_200)
    discarded = await decide(payments_pool, "set_aside_cancel", credit)
    assert discarded.outcome == "applied"
    gone = await entry(payments_pool, credit)
    assert (gone["state"], gone["decided_by"], gone["payment_id"]) == ("discarded", "fiona", None)
    assert await held_items(payments_pool) == []


async def test_only_a_bank_entry_is_released_to_an_attempt(payments_pool: asyncpg.Pool) -> None:
    async with payments_pool.acquire() as conn:
        await set_aside(conn, "return_expiry", "P-HELD", "could not expire")
    refused = await decide(payments_pool, "set_aside_release", "P-HELD", "P-HELD:1", kind="return_expiry")
    assert refused.outcome == "refused" and "only a bank entry is assigned to an attempt" in refused.detail
    assert [item.item_id for item in await held_items(payments_pool)] == ["P-HELD"]
