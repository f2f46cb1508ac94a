"""eligibility's subscribers: the registry feed and registered claims in; decisions out (through the outbox)."""

from __future__ import annotations

import asyncio
import datetime as dt

import structlog

from guichet_common.contracts import ClaimDecidedV1, ClaimRegisteredV1, ClaimStatusV1, RegistryCompanyV1
from guichet_common.contracts.internal import CLAIMS_REGISTERED_TOPIC, ELIGIBILITY_DECISIONS_TOPIC
from guichet_common.contracts.registry import TOPIC as REGISTRY_COMPANIES
from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.db import TRANSIENT_DB_ERRORS, transaction
from guichet_common.runtime import Wiring
from guichet_eligibility import status_repository
from guichet_eligibility.domain import check_rules_exist
from guichet_eligibility.service import EligibilityService
from guichet_eligibility.settings import EligibilitySettings
from guichet_programme import load_programmes

log = structlog.get_logger()


def register_handlers(wiring: Wiring) -> None:
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
    wiring.subscribe(
        REGISTRY_COMPANIES,
        service.apply_registry_records,
        payload=RegistryCompanyV1,
        description="SIRENE registry companies (a null value removes one)",
    )
    wiring.subscribe(
        CLAIMS_REGISTERED_TOPIC,
        service.apply_registered_claims,
        payload=ClaimRegisteredV1,
        description="Registered claims, judged under the programme's rules",
    )
    wiring.publishes(CLAIMS_STATUS, ClaimStatusV1, "approved, rejected with reasons, or under_review")
    wiring.publishes(ELIGIBILITY_DECISIONS_TOPIC, ClaimDecidedV1, "Approved claims, for payments")
    wiring.figures.stage = status_repository.stage_figures

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
