"""On real PostgreSQL: the envelope's snapshot each transaction publishes holds the figures `guichet report` reads
(operators.budget_figures and waitlisted_count), one per batch and programme; each SEPA file is published whole."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import uuid
from pathlib import Path

import asyncpg
import pytest

from guichet_common.contracts import ClaimDecidedV1
from guichet_common.contracts.backoffice import BudgetV1, SepaFileV1
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.settings import project_root
from guichet_common.unit_of_work import open_unit_of_work
from guichet_payments import operators
from guichet_payments.batching import Batcher
from guichet_payments.sealed_payees import development_opener
from guichet_payments.service import PaymentsService
from guichet_payments.unit_of_work import PaymentsUnitOfWork
from guichet_programme import load_programme

pytestmark = pytest.mark.integration
BASE = load_programme(project_root() / "programmes" / "cheque-france-num-2021.toml")
SMALL = BASE.model_copy(update={"budget": BASE.budget.model_copy(update={"total_cents": 2 * 50_000})})
T0 = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)


def approval(n: int) -> InboundRecord:
    event = ClaimDecidedV1(
        event_id=uuid.uuid4(),
        occurred_at=T0,
        correlation_id=uuid.uuid4(),
        claim_id=f"CFN-FACT-{n:07d}",
        programme=BASE.id,
        siren=f"{100000000 + n}",
        decision="approved",
        rule_version="2021-01-28",
        grant_amount_cents=50_000,
        submitted_at=T0 + dt.timedelta(seconds=n),
        beneficiary_name="BOUTIQUE TEST",
        iban="FR7693233145437431125912957",
    )
    return InboundRecord("eligibility.decisions.v1", 0, n, event.siren.encode(), event.model_dump_json().encode())


async def outbox(pool: asyncpg.Pool, topic: str) -> list[tuple[bytes, bytes]]:
    rows = await pool.fetch("SELECT key, value FROM outbox WHERE topic = $1 ORDER BY id", topic)
    return [(bytes(r["key"]), bytes(r["value"])) for r in rows]


async def test_each_transaction_publishes_the_envelope_as_guichet_report_reads_it(
    payments_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    clock = lambda: T0 + dt.timedelta(seconds=10)  # noqa: E731
    service = PaymentsService(programmes={BASE.id: SMALL}, clock=clock)
    async with open_unit_of_work(payments_pool, PaymentsUnitOfWork) as uow:
        await service.open_envelopes(uow)
        await uow.commit()
    for batch in ([approval(1), approval(2), approval(3)], [approval(4)]):
        async with open_unit_of_work(payments_pool, PaymentsUnitOfWork) as uow:
            await Subscription(service.apply_approvals, contract(ClaimDecidedV1)).apply(uow, batch)

    published = await outbox(payments_pool, "payments.budgets.v1")
    assert [key for key, _ in published] == [BASE.id.encode()] * 3  # opened, then one per batch
    latest = BudgetV1.model_validate_json(published[-1][1])
    async with payments_pool.acquire() as conn:
        [figures] = await operators.budget_figures(conn)
        waitlisted = await operators.waitlisted_count(conn, BASE.id)
    assert (latest.total_cents, latest.reserved_cents, latest.paid_cents, latest.released_cents) == (
        figures.total_cents,
        figures.reserved_cents,
        figures.paid_cents,
        figures.released_cents,
    )
    assert (latest.reserved_cents, latest.waitlisted) == (100_000, waitlisted) == (100_000, 2)

    later = lambda: T0 + dt.timedelta(seconds=20)  # noqa: E731
    batcher = Batcher({BASE.id: SMALL}, tmp_path, max_age=dt.timedelta(seconds=5), clock=later)
    async with open_unit_of_work(payments_pool, PaymentsUnitOfWork) as uow:
        assert await batcher.close_due_batches(uow) == 1
        await uow.commit()
    [(key, value)] = await outbox(payments_pool, "payments.sepa-files.v1")
    sepa_file = SepaFileV1.model_validate_json(value)
    stored = await payments_pool.fetchrow("SELECT * FROM batches")
    assert key == stored["batch_id"].encode() == sepa_file.batch_id.encode()
    # Sealed under the batch's key, kept in payments' key ring (and announced on privacy.claim-keys.v1 before it).
    async with open_unit_of_work(payments_pool, PaymentsUnitOfWork) as uow:
        sealed = sepa_file.content_gzip_base64
        opened = (await development_opener().open_many(uow.keys, [sealed]))[sealed]
    assert isinstance(opened, str)
    assert gzip.decompress(base64.b64decode(opened)) == Path(stored["file_path"]).read_bytes()
    [(key_of_key, _)] = await outbox(payments_pool, "privacy.claim-keys.v1")
    assert key_of_key == f"batch-{sepa_file.batch_id}".encode()
    assert (sepa_file.sha256, sepa_file.payments, sepa_file.total_cents) == (
        stored["file_sha256"],
        stored["transfer_count"],
        stored["control_sum_cents"],
    )
