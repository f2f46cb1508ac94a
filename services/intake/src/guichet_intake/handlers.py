"""intake's subscribers: `claims.submitted.v1` in, statuses and registered claims out (through the outbox)."""

from __future__ import annotations

from guichet_common.contracts import ApplicantContactV1, ClaimRegisteredV1, ClaimStatusV1, ClaimSubmittedV1
from guichet_common.contracts.claim_submitted import TOPIC as CLAIMS_SUBMITTED
from guichet_common.contracts.internal import APPLICANT_CONTACTS_TOPIC, CLAIMS_REGISTERED_TOPIC
from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.runtime import Wiring
from guichet_intake import status_repository
from guichet_intake.service import IntakeService
from guichet_programme import load_programmes


def register_handlers(wiring: Wiring) -> None:
    programmes = load_programmes(wiring.settings.programmes_dir)
    service = IntakeService(programmes=frozenset(programmes), topic_prefix=wiring.settings.topic_prefix)
    wiring.subscribe(
        CLAIMS_SUBMITTED,
        service.apply_submissions,
        payload=ClaimSubmittedV1,
        description="Claims from portals: registered (received) or refused with the specification's codes",
    )
    wiring.publishes(CLAIMS_STATUS, ClaimStatusV1, "received, or refused with the specification's codes")
    wiring.publishes(CLAIMS_REGISTERED_TOPIC, ClaimRegisteredV1, "Registered claims, for eligibility")
    wiring.publishes(APPLICANT_CONTACTS_TOPIC, ApplicantContactV1, "Who to write to about a claim, for notifications")
    wiring.figures.stage = status_repository.stage_figures
