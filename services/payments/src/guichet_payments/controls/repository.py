"""Controls on PostgreSQL (`uow.controls`): the risk facts kept at scheduling, campaigns, and each claim's control.
The population query is also what `operators.verify_campaign` draws a stored campaign again from."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import asyncpg

from guichet_payments.controls.model import Campaign, Control, PaidClaim, RiskFacts

# A claim selected by an earlier campaign is never drawn again; `$3` null means "by any campaign opened so far".
# The account changed when a returned attempt was paid elsewhere; once the claim's bank data is erased (NULL IBANs)
# the retry after a return still counts, so that a campaign drawn again after an erasure draws the same claims.
_POPULATION = """
SELECT p.claim_id, p.payment_id, p.programme, p.siren, p.amount_cents, p.source,
       coalesce(f.reviewed_reasons, '{}') AS reviewed_reasons,
       coalesce(f.approved_by_person, false) AS approved_by_person,
       coalesce(f.supplier_sirens, '{}') AS supplier_sirens,
       EXISTS (SELECT 1 FROM payment_attempts r
               WHERE r.payment_id = p.payment_id AND r.status = 'returned'
                 AND (r.iban IS NULL OR a.iban IS NULL OR r.iban <> a.iban)) AS bank_changed
FROM payments p
JOIN payment_attempts a ON a.payment_id = p.payment_id AND a.attempt = p.attempt AND a.status = 'settled'
LEFT JOIN claim_risk_facts f ON f.claim_id = p.claim_id
WHERE p.programme = $1 AND p.status = 'settled' AND a.reported_at <= $2
  AND NOT EXISTS (SELECT 1 FROM controls c JOIN control_campaigns k ON k.campaign_id = c.campaign_id
                  WHERE c.claim_id = p.claim_id AND ($3::timestamptz IS NULL OR k.opened_at < $3))
ORDER BY p.claim_id
"""
_CONTROL = """
SELECT c.*, p.source FROM controls c JOIN payments p ON p.payment_id = c.payment_id WHERE c.claim_id = $1
"""


def paid_claim(row: asyncpg.Record) -> PaidClaim:
    facts = RiskFacts(
        row["claim_id"], tuple(row["reviewed_reasons"]), row["approved_by_person"], tuple(row["supplier_sirens"])
    )
    return PaidClaim(
        claim_id=row["claim_id"],
        payment_id=row["payment_id"],
        programme=row["programme"],
        siren=row["siren"],
        paid_cents=row["amount_cents"],
        facts=facts,
        bank_changed=row["bank_changed"],
        source=row["source"],
    )


def campaign_of(row: asyncpg.Record) -> Campaign:
    values = dict(row)
    return Campaign(**values | {"risk_rules": tuple(values["risk_rules"])})


def control_of(row: asyncpg.Record) -> Control:
    values = dict(row)
    return Control(**values | {"grounds": tuple(values["grounds"])})


class ControlsRepository:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._conn = connection

    async def record_risk_facts(self, facts: Sequence[RiskFacts]) -> None:
        """The facts of newly scheduled claims, in one statement; a claim's first facts stay. The rows travel as JSON
        text (cast here), whether or not the connection has the pool's jsonb codec (the console's may not)."""
        if not facts:
            return
        rows = [
            {"c": f.claim_id, "r": list(f.reviewed_reasons), "p": f.approved_by_person, "s": list(f.supplier_sirens)}
            for f in facts
        ]
        await self._conn.execute(
            "INSERT INTO claim_risk_facts (claim_id, reviewed_reasons, approved_by_person, supplier_sirens)"
            " SELECT x.c, ARRAY(SELECT jsonb_array_elements_text(x.r)), x.p,"
            " ARRAY(SELECT jsonb_array_elements_text(x.s))"
            " FROM jsonb_to_recordset($1::text::jsonb) AS x(c text, r jsonb, p boolean, s jsonb)"
            " ON CONFLICT (claim_id) DO NOTHING",
            json.dumps(rows),
        )

    async def population(
        self, programme: str, paid_before: dt.datetime, opened_before: dt.datetime | None = None
    ) -> list[PaidClaim]:
        """The programme's claims settled at or before `paid_before`, not controlled by a campaign opened before
        `opened_before` (by any campaign when None)."""
        return [paid_claim(r) for r in await self._conn.fetch(_POPULATION, programme, paid_before, opened_before)]

    async def campaign(self, campaign_id: str) -> Campaign | None:
        row = await self._conn.fetchrow("SELECT * FROM control_campaigns WHERE campaign_id = $1", campaign_id)
        return campaign_of(row) if row else None

    async def campaigns(self) -> list[Campaign]:
        return [campaign_of(r) for r in await self._conn.fetch("SELECT * FROM control_campaigns ORDER BY opened_at")]

    async def add_campaign(self, campaign: Campaign, controls: Sequence[Control]) -> None:
        await self._conn.execute(
            "INSERT INTO control_campaigns (campaign_id, programme, seed, sampling_percent, risk_rules, paid_before,"
            " opened_at, opened_by, population, selected) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            campaign.campaign_id,
            campaign.programme,
            campaign.seed,
            campaign.sampling_percent,
            list(campaign.risk_rules),
            campaign.paid_before,
            campaign.opened_at,
            campaign.opened_by,
            campaign.population,
            campaign.selected,
        )
        if not controls:
            return
        rows = [
            {"c": c.claim_id, "p": c.payment_id, "s": c.siren, "a": c.paid_cents, "g": list(c.grounds)}
            for c in controls
        ]
        first = controls[0]  # a campaign's controls share their deadline and selection time
        await self._conn.execute(
            "INSERT INTO controls (claim_id, campaign_id, payment_id, programme, siren, paid_cents, grounds, reply_by,"
            " selected_at) SELECT x.c, $2, x.p, $3, x.s, x.a, ARRAY(SELECT jsonb_array_elements_text(x.g)), $4, $5"
            " FROM jsonb_to_recordset($1::text::jsonb) AS x(c text, p text, s text, a bigint, g jsonb)",
            json.dumps(rows),
            campaign.campaign_id,
            campaign.programme,
            first.reply_by,
            first.selected_at,
        )

    async def selection(self, campaign_id: str) -> list[Control]:
        rows = await self._conn.fetch(
            "SELECT c.*, p.source FROM controls c JOIN payments p ON p.payment_id = c.payment_id"
            " WHERE c.campaign_id = $1 ORDER BY c.claim_id",
            campaign_id,
        )
        return [control_of(r) for r in rows]

    async def control(self, claim_id: str) -> Control | None:
        """The claim's control, locked until the transaction ends (two outcomes recorded at once: one waits)."""
        row = await self._conn.fetchrow(_CONTROL + " FOR UPDATE OF c", claim_id)
        return control_of(row) if row else None

    async def record_outcome(self, control: Control) -> None:
        await self._conn.execute(
            "UPDATE controls SET outcome = $2, reason_code = $3, amount_undue_cents = $4, decided_by = $5,"
            " seconded_by = $6, decided_at = $7 WHERE claim_id = $1",
            control.claim_id,
            control.outcome,
            control.reason_code,
            control.amount_undue_cents,
            control.decided_by,
            control.seconded_by,
            control.decided_at,
        )
