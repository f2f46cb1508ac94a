"""payments' subscribers: approvals in; payment instructions and statuses out (through the outbox)."""

from __future__ import annotations

from guichet_common.contracts.internal import ELIGIBILITY_DECISIONS_TOPIC
from guichet_common.db import transaction
from guichet_common.programmes import load_programmes
from guichet_common.runtime import Wiring
from guichet_payments.service import PaymentsService


async def register_handlers(wiring: Wiring) -> None:
    service = PaymentsService(
        programmes=load_programmes(wiring.settings.programmes_dir), topic_prefix=wiring.settings.topic_prefix
    )
    async with transaction(wiring.pool) as conn:
        await service.open_envelopes(conn)
    wiring.subscribe(
        ELIGIBILITY_DECISIONS_TOPIC,
        service.apply_approvals,
        description="Approved claims: reserve the grant from the envelope, then issue the payment",
    )
