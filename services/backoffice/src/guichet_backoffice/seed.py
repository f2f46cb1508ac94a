"""A read model filled with made-up claims, for the review queue's benchmark (`make bench-backoffice`) and tests.

`seed_claims(conn, n)` writes `n` claims on a migrated back-office database in a few set-based statements: most
under review with one or two review codes, over both programmes, waiting from a few minutes to 90 days, with one
company in ten holding several claims. No personal data: names and sirens are invented, contacts are empty.
"""

from __future__ import annotations

import asyncpg

PROGRAMMES = ("cheque-france-num-2021", "pass-numerique-region-2021")
REVIEW_CODES = (
    "REGISTRY_NO_RECORD",
    "INVOICE_REUSED",
    "IBAN_SHARED",
    "FILED_BY_DIGITAL_PROVIDER",
    "ACTIVITY_TOO_RECENT",
)
OTHER_STATUSES = ("approved", "rejected", "payment_sent", "paid", "waitlisted")


async def seed_claims(conn: asyncpg.Connection, n: int, *, under_review_share: float = 0.9, tag: str = "SEED") -> int:
    """Insert `n` claims (ids `<tag>-<number>`), `under_review_share` of them under review; returns `n`.

    Claims already seeded with the same tag are kept: seeding twice with one tag is an error (duplicate ids)."""
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO claims (claim_id, programme, siren, company_name, applicant, contact, iban_last4, registered,"
            " received_at, status, status_reasons, status_at, amount_cents, eligibility_status, eligibility_reasons,"
            " judged_at)"
            " SELECT $1 || '-' || lpad(i::text, 7, '0'), ($2::text[])[1 + i % 2],"
            # one company in ten has two claims or more: the queue shows how many others each company has
            "   lpad((CASE WHEN i % 10 = 0 THEN i / 10 ELSE 100000000 + i END)::text, 9, '0'),"
            "   'Entreprise ' || i, '{}'::jsonb, '{}'::jsonb, lpad((i % 10000)::text, 4, '0'), true,"
            "   now() - make_interval(mins => 5 + (i * 7919) % 129600) - interval '1 day',"
            "   CASE WHEN (i % 1000) < $5::int THEN 'under_review' ELSE ($4::text[])[1 + i % 5] END,"
            "   reasons, now() - make_interval(mins => 5 + (i * 7919) % 129600),"
            "   100000 + (i % 50) * 10000,"
            "   CASE WHEN (i % 1000) < $5::int THEN 'under_review' ELSE 'approved' END, reasons,"
            "   now() - make_interval(mins => 5 + (i * 7919) % 129600)"
            " FROM generate_series(1, $6::int) AS i,"
            " LATERAL (SELECT CASE WHEN i % 3 = 0"
            "   THEN ARRAY[($3::text[])[1 + i % 5], ($3::text[])[1 + (i / 5) % 5]]"
            "   ELSE ARRAY[($3::text[])[1 + i % 5]] END AS reasons) r",
            tag,
            list(PROGRAMMES),
            list(REVIEW_CODES),
            list(OTHER_STATUSES),
            round(under_review_share * 1000),  # per thousand
            n,
        )
        await conn.execute("ANALYZE claims")
    return n
