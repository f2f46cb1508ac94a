"""Which claims the services set aside (`set_aside_items`, common-004, in every service's database), and why.

An item is named in its own service's terms (a payment attempt `payment_id:attempt`, a payment, an e-mail's row
id, an outbox row's id, a claim); the claim it belongs to is looked up where the service keeps it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import asyncpg

# Per service: the SQL that names the claim of a held item of each kind; a kind not listed names a claim itself.
_CLAIM_OF = {
    "payments": {
        "payment_attempt": "SELECT claim_id FROM payments WHERE payment_id = split_part($1, ':', 1)",
        "return_expiry": "SELECT claim_id FROM payments WHERE payment_id = $1",
    },
    "notifications": {"email": "SELECT claim_id FROM emails WHERE id::text = $1"},
}


@dataclass
class SetAside:
    by_kind: Counter = field(default_factory=Counter)  # "<service> <kind>" -> held items
    claims: set[str] = field(default_factory=set)
    reasons: Counter = field(default_factory=Counter)


async def set_aside_claims(database_urls: dict[str, str]) -> SetAside:
    found = SetAside()
    for service, url in database_urls.items():
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch("SELECT kind, item_id, reason FROM set_aside_items WHERE state = 'held'")
            for row in rows:
                found.by_kind[f"{service} {row['kind']}"] += 1
                found.reasons[f"{service} {row['kind']}: {row['reason'][:100]}"] += 1
                query = _CLAIM_OF.get(service, {}).get(row["kind"])
                claim_id = await conn.fetchval(query, row["item_id"]) if query else row["item_id"]
                if claim_id:
                    found.claims.add(claim_id)
        finally:
            await conn.close()
    return found
