"""The read model's queries for the pages (guichet_backoffice.read_model shapes what they return).

Filters are added as fixed, parametrised fragments rather than `$1 IS NULL OR ...`, so that PostgreSQL plans each
filter combination with the index it needs (the review queue must answer fast at 100,000 claims).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

# A dead letter is replayed or discarded once its owner applied the back-office's command on it (H4's decisions).
_DEAD_LETTER_STATE = (
    " LEFT JOIN LATERAL (SELECT dc.action, co.detail, co.occurred_at AS acted_at, dc.requested_by"
    "   FROM decisions dc JOIN command_outcomes co ON co.command_id = dc.command_id"
    "   WHERE dc.target = d.id AND co.outcome = 'applied'"
    "   AND dc.action IN ('dead_letter_replay', 'dead_letter_discard')"
    "   ORDER BY co.occurred_at DESC LIMIT 1) acted ON true"
)


def _where(conditions: list[str]) -> str:
    return " WHERE " + " AND ".join(conditions) if conditions else ""


async def review_queue(
    conn: asyncpg.Connection, programme: str | None, code: str | None, queued_before: dt.datetime | None, limit: int
) -> list[asyncpg.Record]:
    conditions, args = ["c.status = 'under_review'"], list[Any]()
    for fragment, value in (
        ("c.programme = ${}", programme),
        ("c.status_reasons @> ARRAY[${}::text]", code),
        ("c.status_at <= ${}", queued_before),
    ):
        if value is not None:
            args.append(value)
            conditions.append(fragment.format(len(args)))
    args.append(limit)
    # Planned for these very values, never with a generic plan: a rare reason code must come from the GIN index,
    # a common one from walking the queue in order; a generic plan walks it for both, which reads every claim under
    # review when the code is rare (a second at 100,000 claims).
    async with conn.transaction():
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        return await conn.fetch(
            "SELECT c.claim_id, c.programme, c.siren, c.company_name, c.status_reasons AS reasons,"
            " c.amount_cents AS grant_amount_cents, c.status_at AS queued_at, c.received_at,"
            " (SELECT count(*) FROM claims o WHERE o.siren = c.siren AND o.claim_id <> c.claim_id) AS other_claims"
            f" FROM claims c{_where(conditions)} ORDER BY c.status_at, c.claim_id LIMIT ${len(args)}",
            *args,
        )


async def claim(conn: asyncpg.Connection, claim_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM claims WHERE claim_id = $1", claim_id)


async def judgements(conn: asyncpg.Connection, claim_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM judgements WHERE claim_id = $1 ORDER BY occurred_at, event_id", claim_id)


async def invoices(conn: asyncpg.Connection, claim_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM invoices WHERE claim_id = $1 ORDER BY position", claim_id)


async def other_claims(conn: asyncpg.Connection, siren: str, claim_id: str, limit: int = 50) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT claim_id, programme, status, received_at FROM claims WHERE siren = $1 AND claim_id <> $2"
        " ORDER BY received_at DESC NULLS LAST, claim_id LIMIT $3",
        siren,
        claim_id,
        limit,
    )


async def statuses(conn: asyncpg.Connection, claim_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM claim_statuses WHERE claim_id = $1 ORDER BY occurred_at, event_id", claim_id)


async def emails(conn: asyncpg.Connection, claim_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM emails WHERE claim_id = $1 ORDER BY occurred_at, event_id", claim_id)


async def attempts(conn: asyncpg.Connection, claim_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM payment_attempts WHERE claim_id = $1 ORDER BY issued_at, attempt", claim_id)


async def payments(
    conn: asyncpg.Connection,
    *,
    claim_id: str | None = None,
    status: str | None = None,
    programme: str | None = None,
    limit: int = 500,
) -> list[asyncpg.Record]:
    conditions: list[str] = []
    args: list[Any] = []
    for fragment, value in (("p.claim_id = ${}", claim_id), ("p.programme = ${}", programme)):
        if value is not None:
            args.append(value)
            conditions.append(fragment.format(len(args)))
    if status == "blocked":
        conditions.append("p.status = 'scheduled' AND 'PAYMENT_BLOCKED' = ANY(p.reasons)")
    elif status is not None:
        args.append(status)
        conditions.append(f"p.status = ${len(args)}")
    args.append(limit)
    return await conn.fetch(
        "SELECT p.*, a.batch_id, a.attempt AS attempts FROM payments p LEFT JOIN LATERAL"
        " (SELECT batch_id, attempt FROM payment_attempts WHERE payment_id = p.payment_id"
        "  ORDER BY attempt DESC LIMIT 1) a ON true"
        f"{_where(conditions)} ORDER BY p.status_at DESC, p.payment_id LIMIT ${len(args)}",
        *args,
    )


async def sepa_batches(conn: asyncpg.Connection, limit: int = 500) -> list[asyncpg.Record]:
    """Batches known from their file or from their payments' attempts, newest first."""
    return await conn.fetch(
        "SELECT coalesce(f.batch_id, a.batch_id) AS batch_id, coalesce(f.programme, a.programme) AS programme,"
        " f.file_name, f.sha256, coalesce(f.payments, a.payments) AS payments,"
        " coalesce(f.total_cents, a.total_cents) AS total_cents, coalesce(f.written_at, a.issued_at) AS occurred_at,"
        " f.batch_id IS NOT NULL AS has_file,"
        # A sealed file whose batch key payments destroyed (every beneficiary's bank data erased) can't be read.
        # Its subject is the sealed value's own (sealed:v1:<kind>:<subject>:...), as payments named it.
        " (SELECT k.destroyed_at FROM privacy_keys k WHERE f.content_sealed IS NOT NULL"
        "   AND k.subject = split_part(f.content_sealed, ':', 4) AND k.kind = 'bank') AS erased_at"
        " FROM sepa_files f FULL JOIN (SELECT batch_id, min(programme) AS programme, count(*)::int AS payments,"
        "   sum(amount_cents)::bigint AS total_cents, min(issued_at) AS issued_at"
        "   FROM payment_attempts GROUP BY batch_id) a ON a.batch_id = f.batch_id"
        " ORDER BY occurred_at DESC, batch_id LIMIT $1",
        limit,
    )


async def sepa_file(conn: asyncpg.Connection, batch_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM sepa_files WHERE batch_id = $1", batch_id)


async def waitlist(conn: asyncpg.Connection, programme: str | None) -> list[asyncpg.Record]:
    condition, args = ("AND programme = $1", [programme]) if programme is not None else ("", [])
    return await conn.fetch(
        "SELECT claim_id, programme, siren, company_name, amount_cents, status_at AS queued_at FROM claims"
        f" WHERE status = 'waitlisted' {condition} ORDER BY status_at, claim_id",
        *args,
    )


async def budgets(conn: asyncpg.Connection, programme: str | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM budgets WHERE $1::text IS NULL OR programme = $1 ORDER BY programme", programme
    )


async def dead_letters(
    conn: asyncpg.Connection, *, letter_id: str | None = None, original_topic: str | None = None, limit: int = 500
) -> list[asyncpg.Record]:
    conditions: list[str] = []
    args: list[Any] = []
    for fragment, value in (("d.id = ${}", letter_id), ("d.original_topic = ${}", original_topic)):
        if value is not None:
            args.append(value)
            conditions.append(fragment.format(len(args)))
    args.append(limit)
    return await conn.fetch(
        "SELECT d.*, acted.action, acted.detail, acted.acted_at, acted.requested_by FROM dead_letters d"
        f"{_DEAD_LETTER_STATE}{_where(conditions)} ORDER BY d.dead_lettered_at DESC, d.id LIMIT ${len(args)}",
        *args,
    )


async def set_aside_items(conn: asyncpg.Connection, state: str | None, limit: int = 500) -> list[asyncpg.Record]:
    """The services' items (as announced) and the back-office's own (records it could not project)."""
    return await conn.fetch(
        "SELECT * FROM (SELECT service, kind, item_id, state, reason, decided_by, decision_reason, set_aside_at,"
        "   state_at FROM service_set_aside"
        " UNION ALL SELECT 'backoffice', kind, item_id, state, reason, decided_by, decision_reason, set_aside_at,"
        "   coalesce(decided_at, set_aside_at) FROM set_aside_items) items"
        " WHERE $1::text IS NULL OR state = $1 ORDER BY state_at DESC, service, kind, item_id LIMIT $2",
        state,
        limit,
    )


async def figures(conn: asyncpg.Connection, programme: str | None) -> dict[str, list[Any]]:
    """The dashboard's counts, each one aggregate in SQL."""
    queries = {
        "claims_by_status": "SELECT status AS key, count(*) AS n FROM claims WHERE status IS NOT NULL{p} GROUP BY 1",
        "eligibility": "SELECT coalesce(eligibility_status, 'awaiting_registry') AS key, count(*) AS n FROM claims"
        " WHERE registered{p} GROUP BY 1",
        "rejections": "SELECT code AS key, count(*) AS n FROM claims, unnest(eligibility_reasons) AS code"
        " WHERE eligibility_status = 'rejected'{p} GROUP BY 1",
        "payments": "SELECT status AS key, count(*) AS n, coalesce(sum(amount_cents), 0)::bigint AS cents"
        " FROM payments WHERE true{p} GROUP BY 1",
        "beneficiaries": "SELECT 'all' AS key, count(DISTINCT siren) AS n FROM payments"
        " WHERE status IN ('sent', 'settled'){p}",
        "registered": "SELECT 'all' AS key, count(*) AS n FROM claims WHERE registered{p}",
        "dead_letters": "SELECT d.original_topic AS key, count(*) AS n, count(acted.action) AS acted"
        f" FROM dead_letters d{_DEAD_LETTER_STATE} GROUP BY 1",
        "set_aside": "SELECT service || ':' || kind AS key, count(*) AS n FROM service_set_aside"
        " WHERE state = 'held' GROUP BY 1"
        " UNION ALL SELECT 'backoffice:' || kind, count(*) FROM set_aside_items WHERE state = 'held' GROUP BY kind",
    }
    found = {}
    for name, sql in queries.items():
        scoped = sql.replace("{p}", " AND programme = $1" if programme is not None else "")
        found[name] = await conn.fetch(scoped, *([programme] if "$1" in scoped else []))
    return found
