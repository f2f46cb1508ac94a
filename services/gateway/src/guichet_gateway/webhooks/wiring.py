"""The webhooks' place in the gateway process: statuses in (`on_statuses`, subscribed by handlers.py), the sender
job, and the back-office's commands (a failed delivery released = redelivered)."""

from __future__ import annotations

from collections.abc import Sequence

from guichet_common.contracts import ClaimStatusV1
from guichet_common.operator_command_targets import accept_operator_commands
from guichet_common.pipeline import Published
from guichet_common.runtime import Wiring
from guichet_gateway import operators
from guichet_gateway.privacy.service import GatewayPrivacyRequests
from guichet_gateway.settings import GatewaySettings
from guichet_gateway.webhooks import service
from guichet_gateway.webhooks.domain import Clock, RetryPolicy, StatusToKeep, system_clock
from guichet_gateway.webhooks.post import SignedPost, new_client
from guichet_gateway.webhooks.service import Sender, WebhooksUnitOfWork

clock: Clock = system_clock  # tests replace it (monkeypatch) to move time


async def on_statuses(uow: WebhooksUnitOfWork, statuses: Sequence[ClaimStatusV1]) -> Sequence[Published]:
    kept = [StatusToKeep(s.event_id, s.claim_id, s.status, s.occurred_at, s.model_dump(mode="json")) for s in statuses]
    await service.keep_statuses(uow, kept, clock())
    return ()


def sender(settings: GatewaySettings, now: Clock = system_clock) -> Sender:
    """The sender a gateway process runs, from its settings."""
    post = SignedPost(
        new_client(settings.webhook_timeout_s),
        timeout_s=settings.webhook_timeout_s,
        clock=now,
        allow_http_loopback=settings.webhook_allow_http_loopback,
    )
    policy = RetryPolicy(settings.webhook_retry_base_s, settings.webhook_retry_max_s, settings.webhook_give_up_after_s)
    return Sender(post, policy, now)


def wire(wiring: Wiring) -> None:
    settings = wiring.settings
    assert isinstance(settings, GatewaySettings)
    # Sent inside the turn's transaction, not under a lease: `repeat` gives a turn one unit of work, the rows stay
    # locked (SKIP LOCKED keeps other gateway processes off them) for as long as the requests take, bounded by
    # GATEWAY_WEBHOOK_TIMEOUT_S as all of a turn's requests go at once, and a crash before the commit leaves them
    # pending, so they are sent again: the spec allows a duplicate when no answer was recorded, and the receiver
    # drops it by webhook-id. A lease would need two commits a turn and a sweep for expired leases, to save one
    # pooled connection for at most one timeout per process.
    wiring.repeat("webhook_sender", sender(settings).turn, pause_s=settings.webhook_pause_s)
    accept_operator_commands(wiring, operators, privacy=GatewayPrivacyRequests())
