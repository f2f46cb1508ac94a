"""SQL of the back-office's personal data: erasing its copies of a claim's contact and bank details, correcting a
contact, the subject-access requests and the services' answers, and what it holds about a claim (its export)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from guichet_backoffice.domain import CommandOutcome
from guichet_backoffice.privacy_model import AccessPart, ExportRequest, Held

# Where each kind of personal data sits in the read model, and what erasing it writes there.
_ERASE = {
    "contact": (
        # A sole trader's company address may be their home: it goes with the contact.
        "UPDATE claims SET contact = NULL, applicant = applicant - 'address', updated_at = now()"
        " WHERE claim_id = ANY($1::text[]) AND (contact IS NOT NULL OR applicant ? 'address')",
        "UPDATE emails SET recipient = NULL WHERE claim_id = ANY($1::text[]) AND recipient IS NOT NULL",
    ),
    "bank": (
        "UPDATE claims SET iban_last4 = NULL, updated_at = now()"
        " WHERE claim_id = ANY($1::text[]) AND iban_last4 IS NOT NULL",
        "UPDATE payment_attempts SET beneficiary_name = NULL, iban_last4 = NULL"
        " WHERE claim_id = ANY($1::text[]) AND (beneficiary_name IS NOT NULL OR iban_last4 IS NOT NULL)",
    ),
}
# A dead letter of a claim holds its payload as it failed (both kinds, in clear on the external topics): its value
# is blanked; its coordinates, reason and headers stay for the dead-letter page.
_BLANK_DEAD_LETTERS = (
    "UPDATE dead_letters SET value = ''::bytea WHERE value <> ''::bytea AND EXISTS ("
    " SELECT 1 FROM unnest($1::text[]) AS c (claim_id) WHERE position(convert_to(c.claim_id, 'UTF8') IN value) > 0)"
)


class PrivacyRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def erase(self, kind: str, claim_ids: Sequence[str]) -> None:
        if not claim_ids:
            return
        for statement in _ERASE[kind]:
            await self._conn.execute(statement, list(claim_ids))
        await self._conn.execute(_BLANK_DEAD_LETTERS, list(claim_ids))
        # An export is a copy of the claim's data (and names the person it was asked for): it goes with the data.
        await self._conn.execute(
            "DELETE FROM privacy_access_responses WHERE request_id IN"
            " (SELECT request_id FROM privacy_exports WHERE claim_ids && $1::text[]) OR claim_ids && $1::text[]",
            list(claim_ids),
        )
        await self._conn.execute("DELETE FROM privacy_exports WHERE claim_ids && $1::text[]", list(claim_ids))

    async def rectify_contact(self, claim_id: str, field: str, value: str) -> bool:
        """Correct one contact field of the claim's copy; False when there is none (unknown or erased)."""
        changed = await self._conn.fetchval(
            "UPDATE claims SET contact = jsonb_set(contact, ARRAY[$2::text], to_jsonb($3::text)), updated_at = now()"
            " WHERE claim_id = $1 AND contact IS NOT NULL RETURNING true",
            claim_id,
            field,
            value,
        )
        # The e-mails already sent keep the address they went to: a true record of what was done, not data to fix.
        return bool(changed)

    async def claim_ids(self, selector: str, value: str) -> list[str]:
        """The claims of a person, found by e-mail (any case), SIREN or claim id."""
        where = {
            "email": "lower(contact->>'email') = lower($1)",
            "siren": "siren = $1",
            "claim_id": "claim_id = $1",
        }[selector]
        rows = await self._conn.fetch(f"SELECT claim_id FROM claims WHERE {where} ORDER BY claim_id", value)
        return [r["claim_id"] for r in rows]

    async def record_responses(self, parts: Sequence[AccessPart]) -> None:
        await self._conn.executemany(
            "INSERT INTO privacy_access_responses (request_id, service, claim_ids, records, received_at)"
            " VALUES ($1, $2, $3, $4::text::jsonb, $5) ON CONFLICT (request_id, service) DO NOTHING",
            [(p.request_id, p.service, list(p.claim_ids), json.dumps(p.records), p.received_at) for p in parts],
        )

    async def add_export(self, request: ExportRequest) -> None:
        await self._conn.execute(
            "INSERT INTO privacy_exports (request_id, requested_by, reason, subject, claim_ids, services,"
            " requested_at) VALUES ($1, $2, $3, $4::text::jsonb, $5, $6, $7)",
            request.request_id,
            request.requested_by,
            request.reason,
            json.dumps(dict(request.subject)),
            list(request.claim_ids),
            list(request.services),
            request.requested_at,
        )

    async def export(self, request_id: uuid.UUID) -> tuple[ExportRequest, list[AccessPart]] | None:
        row = await self._conn.fetchrow("SELECT * FROM privacy_exports WHERE request_id = $1", request_id)
        if row is None:
            return None
        request = ExportRequest(
            row["request_id"],
            row["requested_by"],
            row["reason"],
            _loaded(row["subject"]),
            tuple(row["claim_ids"]),
            tuple(row["services"]),
            row["requested_at"],
        )
        parts = await self._conn.fetch(
            "SELECT * FROM privacy_access_responses WHERE request_id = $1 ORDER BY service", request_id
        )
        return request, [
            AccessPart(p["request_id"], p["service"], tuple(p["claim_ids"]), _loaded(p["records"]), p["received_at"])
            for p in parts
        ]

    async def outcome(self, command_id: uuid.UUID) -> CommandOutcome | None:
        row = await self._conn.fetchrow(
            "SELECT command_id, service, outcome, detail, occurred_at FROM command_outcomes WHERE command_id = $1",
            command_id,
        )
        return None if row is None else CommandOutcome(**dict(row))

    async def forget_exports_before(self, before: dt.datetime) -> int:
        """Delete the exports asked before `before`, with their answers; returns how many requests went."""
        gone = await self._conn.fetch(
            "DELETE FROM privacy_exports WHERE requested_at < $1 RETURNING request_id", before
        )
        await self._conn.execute(
            "DELETE FROM privacy_access_responses WHERE received_at < $1 OR request_id = ANY($2::uuid[])",
            before,
            [r["request_id"] for r in gone],
        )
        return len(gone)

    async def held(self, claim_ids: Sequence[str]) -> list[Held]:
        """Every row of the read model about these claims that holds personal data, as stored."""
        ids = list(claim_ids)
        held: list[Held] = []
        for r in await self._conn.fetch(
            "SELECT claim_id, company_name, applicant, contact, iban_last4 FROM claims"
            " WHERE claim_id = ANY($1::text[]) ORDER BY claim_id",
            ids,
        ):
            applicant = _loaded(r["applicant"]) or {}
            fields: dict[str, Any] = {"company_name": r["company_name"], "address": applicant.get("address")}
            fields |= {"contact": _loaded(r["contact"]), "iban_last4": r["iban_last4"]}
            held.append(Held("table claims", r["claim_id"], fields))
        for r in await self._conn.fetch(
            "SELECT claim_id, occurred_at, subject, recipient FROM emails WHERE claim_id = ANY($1::text[])"
            " ORDER BY claim_id, occurred_at",
            ids,
        ):
            held.append(Held("table emails", r["claim_id"], _fields(r, "occurred_at", "subject", "recipient")))
        for r in await self._conn.fetch(
            "SELECT claim_id, payment_id, attempt, batch_id, amount_cents, beneficiary_name, iban_last4"
            " FROM payment_attempts WHERE claim_id = ANY($1::text[]) ORDER BY claim_id, payment_id, attempt",
            ids,
        ):
            fields = _fields(r, "payment_id", "attempt", "batch_id", "amount_cents", "beneficiary_name", "iban_last4")
            held.append(Held("table payment_attempts", r["claim_id"], fields))
        return held


def _loaded(value: Any) -> Any:
    """A jsonb value, whether the pool decodes JSON (guichet_common.db) or hands the text over."""
    return json.loads(value) if isinstance(value, str) else value


def _fields(row: asyncpg.Record, *names: str) -> dict[str, Any]:
    return {name: row[name].isoformat() if isinstance(row[name], dt.datetime) else row[name] for name in names}
