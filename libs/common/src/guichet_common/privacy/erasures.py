"""The erasures a service applied (`privacy_erasures`): `uow.erasures`. `record` says whether an erasure is new, so a
use case erases and announces once; `of` gives the dates its views and exports show instead of the data."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import asyncpg


@dataclass(frozen=True)
class Erasure:
    claim_id: str
    kind: str
    erased_at: dt.datetime
    reason: str  # "retention" | "request"
    request_id: uuid.UUID | None = None


class Erasures(Protocol):
    async def record(self, erasures: Iterable[Erasure]) -> list[Erasure]:
        """Record them; return those not recorded before (the ones to apply and announce)."""
        ...

    async def of(self, claim_ids: Iterable[str]) -> dict[tuple[str, str], Erasure]:
        """(claim_id, kind) -> its erasure, for the given claims."""
        ...


class PostgresErasures:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._conn = connection

    async def record(self, erasures: Iterable[Erasure]) -> list[Erasure]:
        wanted = {(e.claim_id, e.kind): e for e in erasures}
        if not wanted:
            return []
        rows = await self._conn.fetch(
            "INSERT INTO privacy_erasures (claim_id, kind, erased_at, reason, request_id)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::uuid[])"
            " ON CONFLICT DO NOTHING RETURNING claim_id, kind",
            [e.claim_id for e in wanted.values()],
            [e.kind for e in wanted.values()],
            [e.erased_at for e in wanted.values()],
            [e.reason for e in wanted.values()],
            [e.request_id for e in wanted.values()],
        )
        return [wanted[(r["claim_id"], r["kind"])] for r in rows]

    async def of(self, claim_ids: Iterable[str]) -> dict[tuple[str, str], Erasure]:
        rows = await self._conn.fetch(
            "SELECT claim_id, kind, erased_at, reason, request_id FROM privacy_erasures"
            " WHERE claim_id = ANY($1::text[])",
            sorted(set(claim_ids)),
        )
        return {(r["claim_id"], r["kind"]): Erasure(**dict(r)) for r in rows}


class InMemoryErasures:
    def __init__(self) -> None:
        self.recorded: dict[tuple[str, str], Erasure] = {}

    async def record(self, erasures: Iterable[Erasure]) -> list[Erasure]:
        new = []
        for erasure in erasures:
            if (erasure.claim_id, erasure.kind) not in self.recorded:
                self.recorded[(erasure.claim_id, erasure.kind)] = erasure
                new.append(erasure)
        return new

    async def of(self, claim_ids: Iterable[str]) -> dict[tuple[str, str], Erasure]:
        wanted = set(claim_ids)
        return {key: e for key, e in self.recorded.items() if key[0] in wanted}
