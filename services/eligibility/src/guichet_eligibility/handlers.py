"""eligibility's subscribers: the registry feed and registered claims in; decisions out (through the outbox)."""

from __future__ import annotations

from guichet_common.contracts.internal import CLAIMS_REGISTERED_TOPIC
from guichet_common.contracts.registry import TOPIC as REGISTRY_COMPANIES
from guichet_common.programmes import load_programmes
from guichet_common.runtime import Wiring

from guichet_eligibility.service import EligibilityService


async def register_handlers(wiring: Wiring) -> None:
    service = EligibilityService(
        programmes=load_programmes(wiring.settings.programmes_dir), topic_prefix=wiring.settings.topic_prefix
    )
    wiring.subscribe(REGISTRY_COMPANIES, service.apply_registry_records, description="SIRENE registry companies")
    wiring.subscribe(
        CLAIMS_REGISTERED_TOPIC,
        service.apply_registered_claims,
        description="Registered claims, judged under the programme's rules",
    )
