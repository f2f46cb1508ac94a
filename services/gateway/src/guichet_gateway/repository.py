"""The gateway's SQL: portals and their keys, the claims each portal posted (idempotency and ownership), the bank
details posted for them, and the status history the webhooks part records."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from guichet_gateway.digests import DigestKey


@dataclass(frozen=True)
class PortalRow:
    """A portal as operators list it: never its key nor its webhook secret."""

    name: str
    rate_limit_per_minute: int | None
    webhook_url: str | None
    created_at: dt.datetime
    key_rotated_at: dt.datetime | None
    disabled_at: dt.datetime | None


@dataclass(frozen=True)
class PortalKey:
    """What authenticating a request needs: the portal a key id names, its key's digest, whether it is enabled."""

    name: str
    key_sha256: bytes
    rate_limit_per_minute: int | None
    disabled: bool


@dataclass(frozen=True)
class Accepted:
    """The first answer given to a post: repeated with the same body, it is given again."""

    claim_id: str
    portal: str
    body_sha256: bytes
    event_id: UUID
    accepted_at: dt.datetime


@dataclass(frozen=True)
class StatusEntry:
    occurred_at: dt.datetime
    status: str
    payload: dict[str, Any]  # the claims.status.v1 event as consumed


_PORTAL_COLUMNS = "name, rate_limit_per_minute, webhook_url, created_at, key_rotated_at, disabled_at"


class PostgresGateway:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._conn = connection

    # Portals ---------------------------------------------------------------------------------------------------

    async def add_portal(
        self, name: str, key_id: str, key_sha256: bytes, rate_limit_per_minute: int | None, now: dt.datetime
    ) -> bool:
        """False when the name is taken."""
        status = await self._conn.execute(
            "INSERT INTO portals (name, key_id, key_sha256, rate_limit_per_minute, created_at)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
            name,
            key_id,
            key_sha256,
            rate_limit_per_minute,
            now,
        )
        return bool(status == "INSERT 0 1")

    async def replace_key(self, name: str, key_id: str, key_sha256: bytes, now: dt.datetime) -> bool:
        status = await self._conn.execute(
            "UPDATE portals SET key_id = $2, key_sha256 = $3, key_rotated_at = $4 WHERE name = $1",
            name,
            key_id,
            key_sha256,
            now,
        )
        return bool(status == "UPDATE 1")

    async def disable_portal(self, name: str, now: dt.datetime) -> bool:
        status = await self._conn.execute(
            "UPDATE portals SET disabled_at = coalesce(disabled_at, $2) WHERE name = $1", name, now
        )
        return bool(status == "UPDATE 1")

    async def set_webhook(self, name: str, url: str, secret: str) -> bool:
        status = await self._conn.execute(
            "UPDATE portals SET webhook_url = $2, webhook_secret = $3 WHERE name = $1", name, url, secret
        )
        return bool(status == "UPDATE 1")

    async def portals(self) -> list[PortalRow]:
        rows = await self._conn.fetch(f"SELECT {_PORTAL_COLUMNS} FROM portals ORDER BY name")
        return [PortalRow(**dict(row)) for row in rows]

    async def portal_key(self, key_id: str) -> PortalKey | None:
        row = await self._conn.fetchrow(
            "SELECT name, key_sha256, rate_limit_per_minute, disabled_at IS NOT NULL AS disabled"
            " FROM portals WHERE key_id = $1",
            key_id,
        )
        return None if row is None else PortalKey(**dict(row))

    # Claims and bank details -----------------------------------------------------------------------------------

    async def accepted_claim(self, claim_id: str) -> Accepted | None:
        row = await self._conn.fetchrow(
            "SELECT claim_id, portal, body_sha256, event_id, accepted_at FROM claims WHERE claim_id = $1", claim_id
        )
        return None if row is None else Accepted(**dict(row))

    async def accept_claim(self, accepted: Accepted, programme: str) -> bool:
        """False when another post took the claim_id first (the caller reads that one's answer)."""
        status = await self._conn.execute(
            "INSERT INTO claims (claim_id, portal, body_sha256, body_digest_keyed, event_id, programme, accepted_at)"
            " VALUES ($1, $2, $3, true, $4, $5, $6) ON CONFLICT (claim_id) DO NOTHING",
            accepted.claim_id,
            accepted.portal,
            accepted.body_sha256,
            accepted.event_id,
            programme,
            accepted.accepted_at,
        )
        return bool(status == "INSERT 0 1")

    async def accepted_bank_details(self, claim_id: str, digests: Sequence[bytes]) -> Accepted | None:
        row = await self._conn.fetchrow(
            "SELECT b.claim_id, c.portal, b.body_sha256, b.event_id, b.accepted_at"
            " FROM bank_details_posts b JOIN claims c USING (claim_id)"
            " WHERE b.claim_id = $1 AND b.body_sha256 = ANY($2::bytea[])",
            claim_id,
            list(digests),
        )
        return None if row is None else Accepted(**dict(row))

    async def accept_bank_details(self, accepted: Accepted) -> bool:
        status = await self._conn.execute(
            "INSERT INTO bank_details_posts (claim_id, body_sha256, body_digest_keyed, event_id, accepted_at)"
            " VALUES ($1, $2, true, $3, $4) ON CONFLICT (claim_id, body_sha256) DO NOTHING",
            accepted.claim_id,
            accepted.body_sha256,
            accepted.event_id,
            accepted.accepted_at,
        )
        return bool(status == "INSERT 0 1")

    async def programmes_of(self, claim_ids: Iterable[str]) -> dict[str, str]:
        rows = await self._conn.fetch(
            "SELECT claim_id, programme FROM claims WHERE claim_id = ANY($1::text[])", sorted(set(claim_ids))
        )
        return {row["claim_id"]: row["programme"] for row in rows}

    async def key_digests(self, claim_ids: Iterable[str], key: DigestKey) -> int:
        """Key the plain digests these claims' posts still hold (rows from before keyed digests); returns how many."""
        wanted = sorted(set(claim_ids))
        claims = await self._conn.fetch(
            "SELECT claim_id, body_sha256 FROM claims WHERE claim_id = ANY($1::text[]) AND NOT body_digest_keyed",
            wanted,
        )
        posts = await self._conn.fetch(
            "SELECT claim_id, body_sha256 FROM bank_details_posts"
            " WHERE claim_id = ANY($1::text[]) AND NOT body_digest_keyed",
            wanted,
        )
        await self._conn.execute(
            "UPDATE claims c SET body_sha256 = k.keyed, body_digest_keyed = true"
            " FROM unnest($1::text[], $2::bytea[]) AS k (claim_id, keyed) WHERE c.claim_id = k.claim_id",
            [r["claim_id"] for r in claims],
            [key(r["body_sha256"]) for r in claims],
        )
        await self._conn.execute(
            "UPDATE bank_details_posts b SET body_sha256 = k.keyed, body_digest_keyed = true"
            " FROM unnest($1::text[], $2::bytea[], $3::bytea[]) AS k (claim_id, plain, keyed)"
            " WHERE b.claim_id = k.claim_id AND b.body_sha256 = k.plain",
            [r["claim_id"] for r in posts],
            [r["body_sha256"] for r in posts],
            [key(r["body_sha256"]) for r in posts],
        )
        return len(claims) + len(posts)

    async def history(self, claim_id: str) -> list[StatusEntry]:
        rows = await self._conn.fetch(
            "SELECT occurred_at, status, payload FROM statuses WHERE claim_id = $1 ORDER BY seq", claim_id
        )
        return [StatusEntry(row["occurred_at"], row["status"], _json_object(row["payload"])) for row in rows]


def _json_object(value: Any) -> dict[str, Any]:
    # asyncpg hands jsonb over as text unless a codec is set on the connection.
    loaded = json.loads(value) if isinstance(value, str) else value
    return loaded if isinstance(loaded, dict) else {}
