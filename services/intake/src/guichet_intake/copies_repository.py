"""Intake's SQL for a person's data in the claims it keeps: read them for an export, correct the contact, erase a
kind (its fields become null in the payload; the claim id, SIREN, digest and dates stay)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import orjson

from guichet_intake.domain import PERSONAL_PARTS
from guichet_intake.privacy_model import KeptClaim, KeptRefusal


class PostgresClaimCopies:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def claims(self, claim_ids: Sequence[str]) -> dict[str, KeptClaim]:
        rows = await self._conn.fetch(
            "SELECT claim_id, programme, siren, payload::text AS payload, submitted_at, registered_at FROM claims"
            " WHERE claim_id = ANY($1::text[])",
            sorted(set(claim_ids)),
        )
        return {r["claim_id"]: KeptClaim(**{**dict(r), "payload": orjson.loads(r["payload"])}) for r in rows}

    async def refusals(self, claim_ids: Sequence[str]) -> list[KeptRefusal]:
        rows = await self._conn.fetch(
            "SELECT claim_id, codes, details::text AS details, refused_at FROM refusals"
            " WHERE claim_id = ANY($1::text[]) ORDER BY id",
            sorted(set(claim_ids)),
        )
        return [KeptRefusal(r["claim_id"], list(r["codes"]), orjson.loads(r["details"]), r["refused_at"]) for r in rows]

    async def set_contact(self, claim_id: str, contact: Mapping[str, Any]) -> None:
        await self._conn.execute(
            "UPDATE claims SET payload = jsonb_set(payload, '{contact}', $2::text::jsonb) WHERE claim_id = $1",
            claim_id,
            orjson.dumps(contact).decode(),
        )

    async def erase(self, kind: str, claim_ids: Sequence[str]) -> None:
        part, fields = PERSONAL_PARTS[kind]
        await self._conn.execute(
            "UPDATE claims SET payload = jsonb_set(payload, ARRAY[$2::text], $3::text::jsonb)"
            " WHERE claim_id = ANY($1::text[]) AND payload ? $2",
            sorted(set(claim_ids)),
            part,
            orjson.dumps(dict.fromkeys(fields)).decode(),
        )
