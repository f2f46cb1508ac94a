"""What intake's privacy use cases (erasure, export, rectification) see of the claims it keeps, and what they need
of a unit of work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from guichet_common.outbox import OutboxMessage
from guichet_common.privacy.erasures import Erasures
from guichet_common.privacy.keyring import KeyRing


@dataclass(frozen=True)
class KeptClaim:
    """A registered claim as intake keeps it: its contact and bank account sealed, or null once erased."""

    claim_id: str
    programme: str
    siren: str
    payload: dict[str, Any]
    submitted_at: dt.datetime
    registered_at: dt.datetime


@dataclass(frozen=True)
class KeptRefusal:
    claim_id: str
    codes: list[str]
    details: list[str]  # field paths and reasons, never values
    refused_at: dt.datetime


class ClaimCopies(Protocol):
    async def claims(self, claim_ids: Sequence[str]) -> dict[str, KeptClaim]: ...

    async def refusals(self, claim_ids: Sequence[str]) -> list[KeptRefusal]: ...

    async def set_contact(self, claim_id: str, contact: Mapping[str, Any]) -> None:
        """Replace the claim's stored contact (sealed fields)."""
        ...

    async def erase(self, kind: str, claim_ids: Sequence[str]) -> None:
        """Blank that kind's fields (domain.PERSONAL_PARTS) in those claims."""
        ...


class PrivacyUnitOfWork(Protocol):
    def publish(self, messages: Iterable[OutboxMessage]) -> None: ...

    @property
    def copies(self) -> ClaimCopies: ...

    @property
    def keys(self) -> KeyRing: ...

    @property
    def erasures(self) -> Erasures: ...
