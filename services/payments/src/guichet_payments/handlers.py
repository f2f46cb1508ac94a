"""payments' subscribers and background jobs: approvals, finance's reports and new bank details in; SEPA files,
payment instructions and statuses out (through the outbox)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import asyncpg
import structlog

from guichet_common.contracts import (
    ClaimBankDetailsV1,
    ClaimDecidedV1,
    ClaimStatusV1,
    PaymentIssuedV1,
    PaymentSettlementV1,
)
from guichet_common.contracts.bank_details import TOPIC as BANK_DETAILS
from guichet_common.contracts.internal import ELIGIBILITY_DECISIONS_TOPIC
from guichet_common.contracts.payments import ISSUED_TOPIC, SETTLEMENTS_TOPIC
from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.db import TRANSIENT_DB_ERRORS, transaction
from guichet_common.logging import mask_text
from guichet_common.runtime import Wiring
from guichet_payments import status_repository
from guichet_payments.batching import Batcher
from guichet_payments.service import PaymentsService
from guichet_payments.settings import PaymentsSettings
from guichet_payments.settlement import SettlementService
from guichet_programme import load_programmes

log = structlog.get_logger()


def register_handlers(wiring: Wiring) -> None:
    settings = wiring.settings
    assert isinstance(settings, PaymentsSettings)
    programmes = load_programmes(settings.programmes_dir)
    payments = PaymentsService(programmes=programmes, topic_prefix=settings.topic_prefix)
    settlements = SettlementService(payments)
    batcher = Batcher(
        programmes=programmes,
        files_dir=settings.files_dir,
        max_size=settings.batch_max_size,
        max_age=dt.timedelta(seconds=settings.batch_max_age_s),
        topic_prefix=settings.topic_prefix,
    )

    async def open_envelopes() -> None:
        settings.files_dir.mkdir(parents=True, exist_ok=True)
        async with transaction(wiring.pool) as conn:
            await payments.open_envelopes(conn)

    wiring.run_at_start(open_envelopes)
    wiring.subscribe(
        ELIGIBILITY_DECISIONS_TOPIC,
        payments.apply_approvals,
        payload=ClaimDecidedV1,
        description="Approved claims: reserve the grant from the envelope, or wait in line",
    )
    wiring.subscribe(
        SETTLEMENTS_TOPIC,
        settlements.apply_settlements,
        payload=PaymentSettlementV1,
        description="Finance's settled and returned",
    )
    wiring.subscribe(
        BANK_DETAILS,
        settlements.apply_bank_details,
        payload=ClaimBankDetailsV1,
        description="New bank details after a return",
    )
    wiring.publishes(ISSUED_TOPIC, PaymentIssuedV1, "Payment instructions, one per SEPA credit transfer, for finance")
    wiring.publishes(
        CLAIMS_STATUS, ClaimStatusV1, "waitlisted, payment_scheduled, payment_sent, paid, payment_returned"
    )
    wiring.figures.stage = status_repository.stage_figures
    wiring.figures.budgets = status_repository.budget_figures
    # Checked a few times per batch age, so a batch closes soon after it is due (latency), at an indexed query a time.
    batcher_poll_s = min(0.5, settings.batch_max_age_s / 4)
    wiring.run_in_background(_every(wiring.pool, batcher_poll_s, batcher.close_due_batches, "batcher"))
    wiring.run_in_background(
        _every(wiring.pool, settings.expiry_sweep_s, settlements.release_expired_returns, "return_expiry")
    )


def _every(
    pool: asyncpg.Pool, pause_s: float, job: Callable[[asyncpg.Connection], Awaitable[int]], name: str
) -> Callable[[], Awaitable[None]]:
    """A background loop running `job` in its own transaction, again at once while it finds work."""

    async def loop() -> None:
        while True:
            try:
                async with transaction(pool) as conn:
                    done = await job(conn)
            except TRANSIENT_DB_ERRORS as error:
                log.warning("background_job_retrying", job=name, error=mask_text(str(error)))
                done = 0
            if not done:
                await asyncio.sleep(pause_s)

    loop.__name__ = name
    return loop
