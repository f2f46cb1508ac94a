"""eligibility's subscribers: the registry feed and registered claims in; decisions out (through the outbox)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from guichet_common.contracts import ClaimDecidedV1, ClaimRegisteredV1, ClaimStatusV1, RegistryCompanyV1
from guichet_common.contracts.backoffice import (
    JUDGEMENTS_TOPIC,
    JudgementV1,
    ReviewDecisionV1,
)
from guichet_common.contracts.internal import CLAIMS_REGISTERED_TOPIC, ELIGIBILITY_DECISIONS_TOPIC
from guichet_common.contracts.privacy import (
    ACCESS_RESPONSES_TOPIC,
    PRIVACY_ERASED_TOPIC,
    AccessResponseV1,
    PrivacyErasedV1,
)
from guichet_common.contracts.registry import TOPIC as REGISTRY_COMPANIES
from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.operator_command_targets import accept_operator_commands
from guichet_common.pipeline import Published, Undecodable, contract
from guichet_common.records import InboundRecord
from guichet_common.runtime import Wiring
from guichet_common.safe_text import has_unsafe_characters
from guichet_common.topics import REVIEW_DECISIONS
from guichet_common.unit_of_work import announcing
from guichet_eligibility import operators, status_repository
from guichet_eligibility.before_sealing import upgrade_claims_stored_before_sealing
from guichet_eligibility.domain import check_rules_exist
from guichet_eligibility.erasure import ErasureFollower
from guichet_eligibility.privacy import EligibilityPrivacy
from guichet_eligibility.review_commands import ReviewCommands
from guichet_eligibility.service import Arrival, EligibilityService
from guichet_eligibility.settings import EligibilitySettings
from guichet_eligibility.unit_of_work import EligibilityUnitOfWork, EligibilityWork
from guichet_programme import load_programmes

_registry_company = contract(RegistryCompanyV1)
# What eligibility keeps of a registry record: what its rules read. Not the denomination, which for a sole trader is
# the person's name, nor the legal category.
REGISTRY_FIELDS_KEPT: set[str] = set(
    {
        "siren",
        "etatAdministratifUniteLegale",
        "dateCreationUniteLegale",
        "activitePrincipaleUniteLegale",
        "trancheEffectifsUniteLegale",
    }
)


@dataclass(frozen=True)
class Tombstone:
    """A registry record with a null value: the company of this SIREN (the record's key) left the registry."""

    siren: str


def registry_record(record: InboundRecord) -> RegistryCompanyV1 | Tombstone | None:
    """A registry record as the contract's company, or a tombstone; None for a tombstone without a key (nothing to
    remove). PostgreSQL refuses a NUL, which would fail the whole batch: a key holding a control character is
    dead-lettered instead, and so is a denomination holding one (not stored, but no registry writes one)."""
    if record.value is None:
        key = (record.key or b"").decode("utf-8", "replace")
        if has_unsafe_characters(key):
            raise Undecodable("tombstone key holds a control character")
        return Tombstone(key) if key else None
    company = _registry_company(record)
    if has_unsafe_characters(company.denominationUniteLegale or ""):
        raise Undecodable("denominationUniteLegale holds a control character")
    return company


@dataclass(frozen=True)
class EligibilityHandlers:
    service: EligibilityService

    async def registry_companies(
        self, uow: EligibilityWork, changes: Sequence[RegistryCompanyV1 | Tombstone]
    ) -> Sequence[Published]:
        # Per SIREN, the batch's last word (the topic is compacted: the last record wins).
        latest = {
            c.siren: None if isinstance(c, Tombstone) else c.model_dump(mode="json", include=REGISTRY_FIELDS_KEPT)
            for c in changes
        }
        return await self.service.apply_registry_records(uow, latest)

    async def claims_registered(self, uow: EligibilityWork, events: Sequence[ClaimRegisteredV1]) -> Sequence[Published]:
        arrivals = [Arrival(e.claim, e.correlation_id, e.source, e.iban_fingerprint) for e in events]
        return await self.service.apply_registered_claims(uow, arrivals)


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
    handlers = EligibilityHandlers(service)
    wiring.unit_of_work = announcing(EligibilityUnitOfWork, "eligibility", settings.topic_prefix)
    wiring.subscribe(
        REGISTRY_COMPANIES,
        RegistryCompanyV1,
        handlers.registry_companies,
        decode=registry_record,
        event_id=None,  # idempotent by content: the last record of a SIREN wins, no inbox rows
        description="SIRENE registry companies (a null value removes one)",
    )
    wiring.subscribe(
        CLAIMS_REGISTERED_TOPIC,
        ClaimRegisteredV1,
        handlers.claims_registered,
        description="Registered claims, judged under the programme's rules",
    )
    wiring.publishes(CLAIMS_STATUS, ClaimStatusV1, "approved, rejected with reasons, or under_review")
    wiring.publishes(ELIGIBILITY_DECISIONS_TOPIC, ClaimDecidedV1, "Approved claims, for payments")
    wiring.publishes(
        JUDGEMENTS_TOPIC, JudgementV1, "Every decision with each rule's result and observed values, for the back-office"
    )
    reviews = ReviewCommands(programmes, settings.topic_prefix)
    wiring.subscribe(
        REVIEW_DECISIONS.name,
        ReviewDecisionV1,
        reviews.apply,
        description="Reviewed claims approved or rejected by a person in the back-office",
    )
    accept_operator_commands(wiring, operators, privacy=EligibilityPrivacy())
    register_privacy(wiring)
    wiring.figures.stage = status_repository.stage_figures
    wiring.repeat("judge_claims_past_registry_deadline", service.judge_past_registry_deadline, pause_s=1.0)
    # Claims stored before sealing: fingerprinted, then cleared once decided (rarely any work: every ten minutes).
    fingerprint = settings.master_key().fingerprint
    wiring.repeat(
        "upgrade_claims_stored_before_sealing",
        lambda uow: upgrade_claims_stored_before_sealing(uow, fingerprint),
        pause_s=600.0,
    )


# An announcement eligibility cannot read is set aside in its own database: intake owns the topic's dead letters.
ERASURE_SET_ASIDE_KIND = "privacy_erasure"


def register_privacy(wiring: Wiring) -> None:
    """intake's erasures followed in eligibility's copy, and what eligibility announces and answers in return."""
    follower = ErasureFollower(wiring.settings.topic_prefix, wiring.settings.clock())
    wiring.subscribe(
        PRIVACY_ERASED_TOPIC,
        PrivacyErasedV1,
        follower.follow,
        description="Erasures: intake's, of claims eligibility holds, are applied to its copy and announced again",
        set_aside_kind=ERASURE_SET_ASIDE_KIND,
    )
    wiring.publishes(PRIVACY_ERASED_TOPIC, PrivacyErasedV1, "Eligibility erased a claim's contact or bank values")
    wiring.publishes(
        ACCESS_RESPONSES_TOPIC, AccessResponseV1, "What eligibility holds about a subject-access request's claims"
    )
