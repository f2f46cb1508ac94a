"""intake's subscribers: `claims.submitted.v1` in, statuses and registered claims out (through the outbox)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import structlog
from pydantic import ValidationError

from guichet_common.contracts import ApplicantContactV1, ClaimRegisteredV1, ClaimStatusV1, ClaimSubmittedV1
from guichet_common.contracts.claim_submitted import TOPIC as CLAIMS_SUBMITTED
from guichet_common.contracts.internal import APPLICANT_CONTACTS_TOPIC, CLAIMS_REGISTERED_TOPIC
from guichet_common.contracts.privacy import (
    ACCESS_RESPONSES_TOPIC,
    CLAIM_KEYS_TOPIC,
    PRIVACY_ERASED_TOPIC,
    AccessResponseV1,
    ClaimKeysV1,
    PrivacyErasedV1,
)
from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.operator_command_targets import accept_operator_commands
from guichet_common.pipeline import Published
from guichet_common.privacy.keyring import Opener
from guichet_common.records import InboundRecord, Unreadable, describe_validation_error, read_json_object
from guichet_common.runtime import Wiring
from guichet_common.topics import portal_claims_topic
from guichet_common.unit_of_work import announcing
from guichet_intake import operators, status_repository
from guichet_intake.erasure import ErasureFollower
from guichet_intake.person_requests import IntakePrivacyRequests
from guichet_intake.privacy_model import PrivacyUnitOfWork
from guichet_intake.service import IntakeService
from guichet_intake.submission_model import ClaimsUnitOfWork, Submission
from guichet_intake.unit_of_work import IntakeUnitOfWork
from guichet_programme import load_programmes

log = structlog.get_logger()


def register_handlers(wiring: Wiring) -> None:
    programmes = load_programmes(wiring.settings.programmes_dir)
    portals = wiring.settings.kafka_portals
    prefix, master = wiring.settings.topic_prefix, wiring.settings.master_key()
    intake = IntakeService(frozenset(programmes), prefix, kafka_portals=frozenset(portals), master=master)
    opener = Opener(master)  # one per process: the follower empties its cache of the keys it destroys
    handlers = IntakeHandlers(intake, ErasureFollower(prefix, wiring.settings.clock(), opener))
    wiring.unit_of_work = announcing(IntakeUnitOfWork, "intake", wiring.settings.topic_prefix)
    wiring.subscribe(
        CLAIMS_SUBMITTED,
        ClaimSubmittedV1,
        handlers.on_claims_submitted,
        decode=decode_submission,  # its event_id (the inbox's key) is the payload's, or the record's fallback one
        description="Claims from portals: registered (received) or refused with the specification's codes",
    )
    for portal in portals:  # each Kafka portal's own door: the topic says who sent the claim
        wiring.subscribe(
            portal_claims_topic(portal).name,
            ClaimSubmittedV1,
            handlers.on_claims_submitted,
            decode=partial(decode_submission, door=portal),
            description=f"Claims from portal {portal}: refused SOURCE_MISMATCH unless their source is {portal}",
        )
    wiring.publishes(CLAIMS_STATUS, ClaimStatusV1, "received, or refused with the specification's codes")
    wiring.publishes(CLAIMS_REGISTERED_TOPIC, ClaimRegisteredV1, "Registered claims, for eligibility")
    wiring.publishes(APPLICANT_CONTACTS_TOPIC, ApplicantContactV1, "Who to write to about a claim, for notifications")
    wiring.subscribe(
        PRIVACY_ERASED_TOPIC,
        PrivacyErasedV1,
        handlers.on_erasures,
        description="Erasures: notifications' are followed (the claim's key destroyed, intake's copy blanked)",
    )
    wiring.publishes(CLAIM_KEYS_TOPIC, ClaimKeysV1, "Each claim's data keys, wrapped; null once destroyed")
    wiring.publishes(PRIVACY_ERASED_TOPIC, PrivacyErasedV1, "What intake erased of a claim's personal data")
    wiring.publishes(ACCESS_RESPONSES_TOPIC, AccessResponseV1, "What intake holds about a person, on request")
    accept_operator_commands(wiring, operators, privacy=IntakePrivacyRequests(master, opener, prefix))
    wiring.figures.stage = status_repository.stage_figures


@dataclass(frozen=True)
class IntakeHandlers:
    intake: IntakeService
    erasures: ErasureFollower = field(default_factory=ErasureFollower)

    async def on_claims_submitted(
        self, uow: ClaimsUnitOfWork, submissions: Sequence[Submission]
    ) -> Sequence[Published]:
        """New submissions: each registered or refused; one that cannot be announced comes back as a dead letter."""
        return await self.intake.apply_submissions(uow, submissions)

    async def on_erasures(self, uow: PrivacyUnitOfWork, erased: Sequence[PrivacyErasedV1]) -> Sequence[Published]:
        """Erasures announced: notifications' are applied to the claims' keys and intake's copy, once."""
        return await self.erasures.follow(uow, erased)


def decode_submission(record: InboundRecord, door: str | None = None) -> Submission:
    """A claims.submitted.v1 record as the use case sees it, schema-invalid or not: intake salvages what it can of
    an invalid one to tell the portal why it is refused. A value that does not even read as a JSON object (empty,
    too big, not UTF-8 or JSON, nested too deep) is dead-lettered by the pipeline with why. `door`: the Kafka
    portal whose own topic the record came on."""
    try:
        payload = read_json_object(record)
    except Unreadable as error:
        log.warning("submission_dead_lettered", coordinates=record.coordinates, reason=str(error))
        raise
    event_id = _event_id(payload, record)
    try:
        event = ClaimSubmittedV1.model_validate_json(record.value or b"")
    except ValidationError as error:
        errors = tuple(describe_validation_error(error))
        return Submission(event_id, payload, None, errors, record.coordinates, door)
    return Submission(event_id, payload, event, (), record.coordinates, door)


def _event_id(payload: dict[str, Any], record: InboundRecord) -> uuid.UUID:
    try:
        return uuid.UUID(str(payload.get("event_id")))
    except ValueError:
        return record.fallback_event_id()
