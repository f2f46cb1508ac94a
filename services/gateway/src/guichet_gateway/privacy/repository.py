"""The gateway's rows about given claims, as a subject-access export shows them (HeldRecordV1 per row)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from guichet_common.contracts.privacy import HeldRecordV1

# store -> the query of its rows for claim_ids $1 (claim_id first). Deliveries and their journal are the
# webhooks' operational record: states and times, no body, shown per delivery.
_QUERIES: dict[str, str] = {
    "table claims": "SELECT claim_id, portal, programme, event_id, accepted_at, encode(body_sha256, 'hex')"
    " AS body_digest FROM claims WHERE claim_id = ANY($1::text[]) ORDER BY claim_id",
    "table bank_details_posts": "SELECT claim_id, event_id, accepted_at, encode(body_sha256, 'hex') AS body_digest"
    " FROM bank_details_posts WHERE claim_id = ANY($1::text[]) ORDER BY claim_id, accepted_at",
    "table statuses": "SELECT claim_id, event_id, status, occurred_at,"
    " ARRAY(SELECT jsonb_array_elements_text(coalesce(payload->'reasons', '[]'))) AS reasons,"
    " (payload->>'amount_cents')::bigint AS amount_cents FROM statuses WHERE claim_id = ANY($1::text[]) ORDER BY seq",
    "table webhook_deliveries": "SELECT claim_id, portal, event_id, state, attempts, created_at, delivered_at,"
    " failed_at FROM webhook_deliveries WHERE claim_id = ANY($1::text[]) ORDER BY seq, portal",
}


class PostgresHeldRecords:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._conn = connection

    async def held_records(self, claim_ids: Sequence[str]) -> list[HeldRecordV1]:
        wanted = sorted(set(claim_ids))
        records = []
        for store, query in _QUERIES.items():
            for row in await self._conn.fetch(query, wanted):
                fields = {name: _plain(value) for name, value in dict(row).items() if name != "claim_id"}
                records.append(HeldRecordV1(store=store, claim_id=row["claim_id"], fields=fields))
        return records


def _plain(value: Any) -> Any:
    """A column as JSON carries it: times in ISO 8601, ids as text."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
