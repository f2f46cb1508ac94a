"""What operators read and decide on notifications, for the console (`guichet status|trace|set-aside`).

This is the only module of guichet_notifications the console imports (tools/console/tests/test_boundaries.py fails
on any other): what it re-exports is the service's side of the operators' contract, so the service can reorganise
everything else freely. Every function takes a connection to notifications' own database.

Set-aside decisions: the console calls `release_set_aside` / `cancel_set_aside` in the transaction where it records
the decision (`guichet_common.set_aside.record_decision`), so both happen or neither.
"""

from __future__ import annotations

from guichet_notifications.history_repository import emails
from guichet_notifications.service import SET_ASIDE_KIND
from guichet_notifications.set_aside_repository import cancel as cancel_set_aside
from guichet_notifications.set_aside_repository import release as release_set_aside
from guichet_notifications.status_repository import stage_figures

SET_ASIDE_KINDS: tuple[str, ...] = (SET_ASIDE_KIND,)

__all__ = [
    "SET_ASIDE_KINDS",
    "cancel_set_aside",  # set-aside cancel: the e-mail is never sent
    "emails",  # trace: one claim's e-mails
    "release_set_aside",  # set-aside release: the e-mail goes back to the queue
    "stage_figures",  # status
]
