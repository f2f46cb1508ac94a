"""eligibility's subscribers: the registry feed and registered claims in; decisions out (through the outbox)."""

from __future__ import annotations

import asyncio
import datetime as dt

import structlog

from guichet_common.contracts.internal import CLAIMS_REGISTERED_TOPIC
from guichet_common.contracts.registry import TOPIC as REGISTRY_COMPANIES
from guichet_common.db import TRANSIENT_DB_ERRORS, transaction
from guichet_common.programmes import load_programmes
from guichet_common.runtime import Wiring
from guichet_eligibility.domain import check_rules_exist
from guichet_eligibility.service import EligibilityService
from guichet_eligibility.settings import EligibilitySettings

log = structlog.get_logger()


async def register_handlers(wiring: Wiring) -> None:
    settings = wiring.settings
    assert isinstance(settings, EligibilitySettings)
    programmes = load_programmes(settings.programmes_dir)
    for programme in programmes.values():
        check_rules_exist(programme)  # a programme file naming an unknown rule stops the service here
    service = EligibilityService(
        programmes=programmes,
        topic_prefix=settings.topic_prefix,
        registry_grace=dt.timedelta(seconds=settings.registry_grace_s),
    )
    wiring.subscribe(REGISTRY_COMPANIES, service.apply_registry_records, description="SIRENE registry companies")
    wiring.subscribe(
        CLAIMS_REGISTERED_TOPIC,
        service.apply_registered_claims,
        description="Registered claims, judged under the programme's rules",
    )

    async def judge_claims_past_registry_deadline() -> None:
        while True:
            try:
                async with transaction(wiring.pool) as conn:
                    judged = await service.judge_past_registry_deadline(conn)
            except TRANSIENT_DB_ERRORS as error:
                log.warning("registry_deadline_sweep_retrying", error=str(error))
                judged = 0
            if judged == 0:
                await asyncio.sleep(1.0)

    wiring.run_in_background(judge_claims_past_registry_deadline)
