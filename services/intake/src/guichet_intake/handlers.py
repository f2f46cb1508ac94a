"""intake's subscribers: `claims.submitted.v1` in, statuses and registered claims out (through the outbox)."""

from __future__ import annotations

from guichet_common.contracts.claim_submitted import TOPIC as CLAIMS_SUBMITTED
from guichet_common.programmes import load_programmes
from guichet_common.runtime import Wiring
from guichet_intake.service import IntakeService


async def register_handlers(wiring: Wiring) -> None:
    programmes = load_programmes(wiring.settings.programmes_dir)
    service = IntakeService(programmes=frozenset(programmes), topic_prefix=wiring.settings.topic_prefix)
    wiring.subscribe(
        CLAIMS_SUBMITTED,
        service.apply_submissions,
        description="Claims from portals: registered (received) or refused with the specification's codes",
    )
