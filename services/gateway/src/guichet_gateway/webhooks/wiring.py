"""Placeholder the webhooks part replaces: consumes statuses and sends nothing yet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from guichet_common.contracts import ClaimStatusV1
from guichet_common.pipeline import Published
from guichet_common.runtime import Wiring


async def on_statuses(uow: Any, statuses: Sequence[ClaimStatusV1]) -> Sequence[Published]:
    return ()


def wire(wiring: Wiring) -> None:
    return None
