"""Personal data in payments on real PostgreSQL: approvals sealed by intake are paid with the keys payments keeps
from privacy.claim-keys.v1; once intake announces their bank data erased, no name, IBAN or BIC of theirs is left in
payments' database or its outbound folder, the batch's key is destroyed and announced so, and `guichet reconcile`
and the report's figures say exactly what they said before."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from guichet_common.contracts import ClaimBankDetailsV1, ClaimDecidedV1, PaymentSettlementV1
from guichet_common.contracts.backoffice import OperatorCommandV1
from guichet_common.contracts.privacy import ClaimKeysV1, PrivacyErasedV1
from guichet_common.pipeline import Subscription, contract
from guichet_common.privacy.key_copies import key_copies
from guichet_common.privacy.keyring import Sealer
from guichet_common.privacy.sealing import DEVELOPMENT_MASTER_KEY, MasterKey
from guichet_common.records import InboundRecord
from guichet_common.settings import project_root
from guichet_common.unit_of_work import open_unit_of_work
from guichet_payments import operators
from guichet_payments.batch_keys import batch_subject
from guichet_payments.batching import Batcher
from guichet_payments.erasure import ErasureFollower
from guichet_payments.privacy_requests import PaymentsPrivacy
from guichet_payments.sealed_payees import development_opener
from guichet_payments.service import PaymentsService
from guichet_payments.settlement import SettlementService, decode_bank_details, decode_settlement
from guichet_payments.unit_of_work import PaymentsUnitOfWork
from guichet_programme import load_programme

pytestmark = pytest.mark.integration
PROGRAMME = load_programme(project_root() / "programmes" / "cheque-france-num-2021.toml")
T0 = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)
SEALER = Sealer(MasterKey(DEVELOPMENT_MASTER_KEY))
HOLDERS = {1: ("MARIE DUPONT", "FR7630006000011234567890189"), 2: ("JEAN MARTIN", "FR7630004000031234567890143")}


def claim_id(n: int) -> str:
    return f"CFN-PRIV-{n:07d}"


def records(topic: str, events: list[tuple[str, Any]]) -> list[InboundRecord]:
    return [
        InboundRecord(topic, 0, offset, key.encode(), event.model_dump_json().encode())
        for offset, (key, event) in enumerate(events)
    ]


def keys_and_approvals() -> tuple[list[InboundRecord], list[InboundRecord]]:
    """What intake announces on privacy.claim-keys.v1, and eligibility's approvals carrying the sealed values."""
    keys, approvals = [], []
    for n, (name, iban) in HOLDERS.items():
        data_key, wrapped = SEALER.new_keys(claim_id(n), ["bank"])["bank"]
        keys.append(
            (
                claim_id(n),
                ClaimKeysV1.model_validate(
                    {
                        "subject": claim_id(n),
                        "owner": "intake",
                        "keys": {"bank": base64.b64encode(wrapped).decode()},
                        "occurred_at": T0,
                    },
                    strict=False,
                ),
            )
        )
        sealed = Sealer.seal_fields(data_key, "bank", claim_id(n), {"beneficiary_name": name, "iban": iban})
        approval = ClaimDecidedV1.model_validate(
            {
                "event_id": uuid.uuid4(),
                "occurred_at": T0,
                "correlation_id": uuid.uuid4(),
                "claim_id": claim_id(n),
                "programme": PROGRAMME.id,
                "siren": f"{300000000 + n}",
                "decision": "approved",
                "rule_version": "2021-01-28",
                "grant_amount_cents": 50_000,
                "submitted_at": T0 + dt.timedelta(seconds=n),
                **sealed,
            },
            strict=False,
        )
        approvals.append((approval.siren, approval))
    return records("privacy.claim-keys.v1", keys), records("eligibility.decisions.v1", approvals)


def erased(n: int) -> PrivacyErasedV1:
    return PrivacyErasedV1.model_validate(
        {
            "event_id": uuid.uuid4(),
            "occurred_at": T0,
            "claim_id": claim_id(n),
            "programme": PROGRAMME.id,
            "kind": "bank",
            "service": "intake",
            "reason": "retention",
            "erased_at": T0,
        },
        strict=False,
    )


async def apply(pool: asyncpg.Pool, subscription: Subscription[Any, Any], batch: list[InboundRecord]) -> None:
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        await subscription.apply(uow, batch)


async def paid_batch(pool: asyncpg.Pool, folder: Path) -> dict[str, Any]:
    """Both claims approved, paid in one SEPA file (its set complete with its manifest) and settled."""
    payments = PaymentsService(programmes={PROGRAMME.id: PROGRAMME}, clock=lambda: T0)
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        await payments.open_envelopes(uow)
        await uow.commit()
    keys, approvals = keys_and_approvals()
    copies = key_copies(development_opener())
    await apply(pool, Subscription(copies.use_case, copies.decode, event_id=None), keys)
    await apply(pool, Subscription(payments.apply_approvals, contract(ClaimDecidedV1)), approvals)
    batcher = Batcher(
        {PROGRAMME.id: PROGRAMME}, folder, max_age=dt.timedelta(seconds=5), clock=lambda: T0 + dt.timedelta(minutes=1)
    )
    for _ in range(2):  # the file, then (once committed) its manifest
        async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
            await batcher.close_due_batches(uow)
            await uow.commit()
    rows = await pool.fetch("SELECT payment_id FROM payments ORDER BY payment_id")
    settled = [
        PaymentSettlementV1(
            event_id=uuid.uuid4(), occurred_at=T0, payment_id=r["payment_id"], status="settled", attempt=1
        )
        for r in rows
    ]
    settlements = SettlementService(payments)
    await apply(
        pool,
        Subscription(settlements.apply_settlements, decode_settlement),
        records("payments.settlements.v1", [(s.payment_id, s) for s in settled]),
    )
    return dict(await pool.fetchrow("SELECT * FROM batches"))


async def figures(pool: asyncpg.Pool, url: str) -> tuple[str, str, list[Any]]:
    """`guichet reconcile` (text and JSON, from the function the console calls) and the report's payments figures."""
    report = await operators.reconcile_database(url)
    assert report.ok, operators.reconciliation_text(report)
    async with pool.acquire() as conn:
        shown = [
            await operators.payments_by_status(conn, None),
            await operators.beneficiaries(conn, None),
            await operators.payment_delays(conn, None),
            await operators.reserved_per_day(conn, None, "Europe/Paris"),
            await operators.budget_figures(conn),
        ]
    return operators.reconciliation_text(report), report.as_json(), shown


async def export(pool: asyncpg.Pool, *claim_ids: str) -> str:
    """payments' part of a subject-access request, as JSON."""
    command = OperatorCommandV1.model_validate(
        {
            "event_id": uuid.uuid4(),
            "occurred_at": T0,
            "service": "payments",
            "action": "privacy_export",
            "target": claim_ids[0],
            "requested_by": "dpo",
            "reason": "Demande d'accès de la personne (article 15)",
            "claim_ids": list(claim_ids),
        },
        strict=False,
    )
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        records = await PaymentsPrivacy(development_opener()).export(uow, command)
    assert {r.store for r in records} == {"table payments", "table payment_attempts"}
    return json.dumps([r.model_dump(mode="json") for r in records])


async def everything_stored(pool: asyncpg.Pool) -> str:
    """Every row of every table but the outbox (the relay deletes a row once sent), as text."""
    tables = [r["tablename"] for r in await pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    rows = [await pool.fetch(f'SELECT t::text AS row FROM "{table}" t') for table in tables if table != "outbox"]
    return "\n".join(r["row"] for table_rows in rows for r in table_rows)


async def test_erasing_every_claim_of_a_batch_leaves_no_bank_data_and_reconcile_unchanged(
    payments_pool: asyncpg.Pool, database_urls: dict[str, str], tmp_path: Path
) -> None:
    batch = await paid_batch(payments_pool, tmp_path)
    stored = await everything_stored(payments_pool)
    assert all(name in stored and iban in stored for name, iban in HOLDERS.values())  # opened, paid
    before = await figures(payments_pool, database_urls["payments"])
    exported = await export(payments_pool, claim_id(1))
    assert HOLDERS[1][1] in exported and HOLDERS[2][1] not in exported  # the asked claim's only

    follower = ErasureFollower(development_opener(), clock=lambda: T0 + dt.timedelta(days=400))
    announcements = [(claim_id(n), erased(n)) for n in HOLDERS]
    await apply(
        payments_pool,
        Subscription(follower.follow, contract(PrivacyErasedV1)),
        records("privacy.erased.v1", announcements),
    )

    stored = await everything_stored(payments_pool)
    assert not any(name in stored or iban in stored for name, iban in HOLDERS.values())
    assert await figures(payments_pool, database_urls["payments"]) == before
    async with payments_pool.acquire() as conn:  # what `guichet trace` shows instead of the IBAN's last digits
        assert list(await operators.erased_on(conn, claim_id(1))) == ["bank"]
    exported = await export(payments_pool, claim_id(1))
    assert HOLDERS[1][1] not in exported and '"iban": {"erased_on": "2022-04-06"}' in exported
    assert not Path(batch["file_path"]).exists()
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [f"{batch['batch_id']}.{suffix}" for suffix in ("control.csv", "control.html", "manifest.json")]
    manifest = json.loads((tmp_path / f"{batch['batch_id']}.manifest.json").read_text())
    assert manifest["files"][0]["sha256"] == batch["file_sha256"].strip()  # name, size, sha256 and totals stay
    subjects = [claim_id(n) for n in HOLDERS] + [batch_subject(batch["batch_id"])]
    destroyed = await payments_pool.fetch(
        "SELECT subject FROM privacy_keys WHERE wrapped_key IS NULL AND destroyed_at IS NOT NULL ORDER BY subject"
    )
    assert sorted(r["subject"] for r in destroyed) == sorted(subjects)
    announced = await payments_pool.fetch("SELECT value FROM outbox WHERE topic = 'privacy.erased.v1' ORDER BY id")
    assert [(v["claim_id"], v["service"], v["kind"]) for v in (json.loads(r["value"]) for r in announced)] == [
        (claim_id(n), "payments", "bank") for n in HOLDERS
    ]
    [batch_key] = await payments_pool.fetch(
        "SELECT value FROM outbox WHERE topic = 'privacy.claim-keys.v1' ORDER BY id DESC LIMIT 1"
    )
    assert json.loads(batch_key["value"])["keys"] == {"bank": None}

    again = [(claim_id(1), erased(1))]  # a repeated announcement (a new event id): nothing more happens
    await apply(
        payments_pool, Subscription(follower.follow, contract(PrivacyErasedV1)), records("privacy.erased.v1", again)
    )
    assert len(await payments_pool.fetch("SELECT 1 FROM outbox WHERE topic = 'privacy.erased.v1'")) == 2


async def test_new_details_naming_a_sealed_waiting_account_of_another_company_are_refused(
    payments_pool: asyncpg.Pool,
) -> None:
    """A waiting approval's IBAN is sealed: its keyed fingerprint, kept beside it, says the account is shared."""
    small = PROGRAMME.model_copy(update={"budget": PROGRAMME.budget.model_copy(update={"total_cents": 50_000})})
    payments = PaymentsService(programmes={PROGRAMME.id: small}, clock=lambda: T0)
    async with open_unit_of_work(payments_pool, PaymentsUnitOfWork) as uow:
        await payments.open_envelopes(uow)
        await uow.commit()
    keys, approvals = keys_and_approvals()
    copies = key_copies(development_opener())
    await apply(payments_pool, Subscription(copies.use_case, copies.decode, event_id=None), keys)
    await apply(payments_pool, Subscription(payments.apply_approvals, contract(ClaimDecidedV1)), approvals)
    assert await payments_pool.fetchval("SELECT count(*) FROM waitlist WHERE iban_fingerprint IS NOT NULL") == 1
    await payments_pool.execute("UPDATE payments SET status = 'returned', returned_at = $1", T0)
    await payments_pool.execute("UPDATE payment_attempts SET status = 'returned'")
    _, waiting_iban = HOLDERS[2]
    new = ClaimBankDetailsV1(
        event_id=uuid.uuid4(), occurred_at=T0, claim_id=claim_id(1), iban=waiting_iban, holder_name="MARIE DUPONT"
    )

    await apply(
        payments_pool,
        Subscription(SettlementService(payments).apply_bank_details, decode_bank_details),
        records("claims.bank-details.v1", [(claim_id(1), new)]),
    )

    [row] = await payments_pool.fetch(
        "SELECT value FROM outbox WHERE topic = 'claims.status.v1' ORDER BY id DESC LIMIT 1"
    )
    assert (json.loads(row["value"])["status"], json.loads(row["value"])["reasons"]) == (
        "payment_returned",
        ["IBAN_SHARED"],
    )
