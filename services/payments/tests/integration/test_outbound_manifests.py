"""The outbound folder on a real PostgreSQL: a batch's manifest is written only once its batch is committed, so
the files of a rolled-back batch are never declared complete, and the batch row records the file's pain.001
version as its programme chose it."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import asyncpg
import pytest

from guichet_common.contracts import ClaimDecidedV1
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.settings import project_root
from guichet_common.unit_of_work import open_unit_of_work
from guichet_payments import outbound
from guichet_payments.batching import Batcher
from guichet_payments.service import PaymentsService
from guichet_payments.unit_of_work import PaymentsUnitOfWork
from guichet_programme import load_programmes

pytestmark = pytest.mark.integration
PROGRAMMES = load_programmes(project_root() / "programmes")
T0 = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def approval(n: int, programme: str) -> InboundRecord:
    event = ClaimDecidedV1(
        event_id=uuid.uuid4(),
        occurred_at=T0,
        correlation_id=uuid.uuid4(),
        claim_id=f"OUT-{n:07d}",
        programme=programme,
        siren=f"{300000000 + n}",
        decision="approved",
        rule_version=PROGRAMMES[programme].rule_versions[0].id,
        grant_amount_cents=50_000,
        submitted_at=T0 + dt.timedelta(seconds=n),
        beneficiary_name="BOUTIQUE TEST",
        iban="FR7693233145437431125912957",
    )
    return InboundRecord("eligibility.decisions.v1", 0, n, event.siren.encode(), event.model_dump_json().encode())


async def scheduled(pool: asyncpg.Pool, tmp_path: Path) -> Batcher:
    clock = Clock()
    payments = PaymentsService(programmes=PROGRAMMES, clock=clock)
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        await payments.open_envelopes(uow)
        await uow.commit()
    records = [approval(1, "cheque-france-num-2021"), approval(2, "pass-numerique-region-2021")]
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:  # the subscription commits its own work
        await Subscription(payments.apply_approvals, contract(ClaimDecidedV1)).apply(uow, records)
    clock.now += dt.timedelta(seconds=10)
    return Batcher(PROGRAMMES, tmp_path, max_size=50, clock=clock)


async def turn(pool: asyncpg.Pool, batcher: Batcher, *, commit: bool = True) -> int:
    async with open_unit_of_work(pool, PaymentsUnitOfWork) as uow:
        done = await batcher.close_due_batches(uow)
        if commit:
            await uow.commit()
        return done


def manifests(folder: Path) -> list[dict]:
    return [json.loads(path.read_bytes()) for path in sorted(folder.glob("*.manifest.json"))]


async def test_only_committed_batches_get_a_manifest_each_in_its_programmes_version(
    payments_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    batcher = await scheduled(payments_pool, tmp_path)

    assert await turn(payments_pool, batcher, commit=False) == 2  # rolled back: files on disk, no batch rows
    rolled_back = outbound.unannounced(tmp_path)
    assert len(rolled_back) == 2
    assert await turn(payments_pool, batcher) == 2  # the same attempts, in two new files, committed
    assert manifests(tmp_path) == []  # declared complete only on a turn that sees them committed
    await turn(payments_pool, batcher)

    rows = await payments_pool.fetch("SELECT batch_id, programme, message_version FROM batches ORDER BY programme")
    assert [(r["programme"], r["message_version"]) for r in rows] == [
        ("cheque-france-num-2021", "pain.001.001.03"),
        ("pass-numerique-region-2021", "pain.001.001.09"),
    ]
    written = manifests(tmp_path)
    assert sorted((m["batch_id"], m["message_version"]) for m in written) == sorted(
        (r["batch_id"], r["message_version"]) for r in rows
    )
    assert outbound.unannounced(tmp_path) == rolled_back  # never complete, so never sent
