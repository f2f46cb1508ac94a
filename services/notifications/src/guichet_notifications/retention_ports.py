"""What the retention clock's use cases need of the unit of work (`AbstractNotificationsUnitOfWork.statuses` and
`.privacy_requests`): the PostgreSQL repositories of `retention_repository.py`, or the unit tests' fakes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from guichet_notifications.retention import ClaimTrack, Deadlines, ErasureDecision


class ClaimStatuses(Protocol):
    async def get(self, claim_ids: Iterable[str]) -> dict[str, ClaimTrack]: ...

    async def save(self, tracks: Sequence[tuple[ClaimTrack, Deadlines]]) -> None: ...

    async def due(self, now: datetime, limit: int) -> list[tuple[str, str, str]]: ...

    async def clear_deadlines(self, erased: Iterable[tuple[str, str]]) -> None: ...

    async def held(self, claim_ids: Iterable[str]) -> list[dict[str, Any]]: ...


class PrivacyRequestDecisions(Protocol):
    async def record(
        self,
        request_id: uuid.UUID,
        action: str,
        requested_by: str,
        legal_reason: str,
        at: datetime,
        decisions: Sequence[ErasureDecision],
    ) -> None: ...

    async def decisions(self, request_id: uuid.UUID) -> list[ErasureDecision]: ...

    async def held(self, claim_ids: Iterable[str]) -> list[dict[str, Any]]: ...
