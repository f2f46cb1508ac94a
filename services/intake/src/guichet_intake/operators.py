"""What operators read from intake, for the console (`guichet status|trace|report`).

This is the only module of guichet_intake the console imports (tools/console/tests/test_boundaries.py fails on any
other): what it re-exports is intake's side of the operators' contract, so the service can reorganise everything
else freely. Every function takes a connection to intake's own database; none returns a claim's payload.

Intake sets nothing aside of its own: its stuck outbox rows are the common `outbox_row` kind, which the console
decides through `guichet_common.outbox_set_aside`.
"""

from __future__ import annotations

from guichet_intake.history_repository import (
    refusals,
    refusals_by_code,
    registered_count,
    registered_per_day,
    registration,
)
from guichet_intake.status_repository import stage_figures

SET_ASIDE_KINDS: tuple[str, ...] = ()

__all__ = [
    "SET_ASIDE_KINDS",
    "refusals",  # trace: one claim's refusals at registration
    "refusals_by_code",  # report
    "registered_count",  # report
    "registered_per_day",  # report
    "registration",  # trace: one claim's registration
    "stage_figures",  # status
]
