"""What operators read and decide on the gateway, for the console (`guichet portals`, `guichet set-aside`).

This is the only module of guichet_gateway the console imports (tools/console/tests/test_boundaries.py fails on any
other): what it re-exports is the gateway's side of the operators' contract, so the service can reorganise
everything else freely. Every function takes a connection to the gateway's own database; the caller owns the
transaction.

Set-aside decisions: a webhook delivery that failed for good is held as kind `webhook_delivery`; the console and
the back-office call `release_set_aside` (redeliver) / `cancel_set_aside` (stays failed) in the transaction where
they record the decision (`guichet_common.set_aside.record_decision`), so both happen or neither.
"""

from __future__ import annotations

from guichet_gateway.portals import (
    PortalError,
    add_portal,
    disable_portal,
    list_portals,
    rotate_key,
    set_webhook,
)
from guichet_gateway.webhooks.journal import (
    RedeliveryRefused,
    attempts,
    cancel_set_aside,
    deliveries,
    redeliver,
    release_set_aside,
)
from guichet_gateway.webhooks.service import SET_ASIDE_KIND

SET_ASIDE_KINDS: tuple[str, ...] = (SET_ASIDE_KIND,)

__all__ = [
    "SET_ASIDE_KINDS",
    "PortalError",  # what the portal functions refuse with
    "RedeliveryRefused",  # what redeliver refuses with
    "add_portal",  # portals add: the key, once
    "attempts",  # deliveries: one delivery's journal
    "cancel_set_aside",  # set-aside cancel: the delivery stays failed
    "deliveries",  # deliveries: a portal's, newest first
    "disable_portal",  # portals disable
    "list_portals",  # portals list
    "redeliver",  # a delivery sent again now, journaled with who
    "release_set_aside",  # set-aside release: redelivered
    "rotate_key",  # portals rotate-key: the new key, once
    "set_webhook",  # portals webhook: the signing secret, once
]
