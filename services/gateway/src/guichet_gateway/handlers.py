"""gateway's subscribers and jobs: `claims.status.v1` in (its own claims' history, and a webhook delivery per
status for portals that registered one), the webhook sender, operator commands (redeliveries, subject-access
exports), and intake's erasures (recorded and announced again for the gateway's claims)."""

from __future__ import annotations

from guichet_common.contracts import ClaimStatusV1, ClaimSubmittedV1
from guichet_common.contracts.bank_details import TOPIC as CLAIMS_BANK_DETAILS
from guichet_common.contracts.bank_details import ClaimBankDetailsV1
from guichet_common.contracts.claim_submitted import TOPIC as CLAIMS_SUBMITTED
from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.runtime import Wiring
from guichet_common.unit_of_work import announcing
from guichet_gateway.privacy import wiring as privacy
from guichet_gateway.unit_of_work import GatewayUnitOfWork
from guichet_gateway.webhooks import wiring as webhooks

STATUS_SET_ASIDE_KIND = "claim_status"  # a status record the gateway cannot read: set aside in its own database


def register_handlers(wiring: Wiring) -> None:
    wiring.unit_of_work = announcing(GatewayUnitOfWork, "gateway", wiring.settings.topic_prefix)
    wiring.subscribe(
        CLAIMS_STATUS,
        ClaimStatusV1,
        webhooks.on_statuses,
        description="Statuses: those of the gateway's claims are kept for GET /v1/claims/{id} and sent as webhooks",
        set_aside_kind=STATUS_SET_ASIDE_KIND,
    )
    wiring.publishes(CLAIMS_SUBMITTED, ClaimSubmittedV1, "Claims portals posted to POST /v1/claims")
    wiring.publishes(
        CLAIMS_BANK_DETAILS, ClaimBankDetailsV1, "Bank details posted to POST /v1/claims/{id}/bank-details"
    )
    webhooks.wire(wiring)
    privacy.wire(wiring)
