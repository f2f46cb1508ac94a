"""A dead letter through the API, as `guichet dlq show --unmasked` reads it: masked by default, unmasked only for
the roles that open the dead-letter page, and every unmasked read in the audit trail under the token's account."""

from __future__ import annotations

import json
from urllib.parse import quote

import asyncpg
import pytest

from guichet_backoffice import audit
from guichet_common.outbox import encode_headers

from .conftest import TOPIC_PREFIX
from .test_four_eyes import _api, _token

pytestmark = pytest.mark.integration

EMAIL, IBAN, NAME = "jeanne.api@example.fr", "FR7630006000011234567890189", "Jeanne Api"
LETTER = f"{TOPIC_PREFIX}claims.submitted.v1.dlq:1:42"
PATH = f"/api/v1/dead-letters/{quote(LETTER, safe='')}"


async def _dead_letter(pool: asyncpg.Pool) -> None:
    value = {"claim": {"contact": {"email": EMAIL, "full_name": NAME}, "bank_account": {"iban": IBAN}}}
    await pool.execute(
        "INSERT INTO dead_letters (dlq_topic, dlq_partition, dlq_offset, owner, original_topic, original_partition,"
        " original_offset, reason, attempts, key, value, headers, dead_lettered_at)"
        " VALUES ($1, 1, 42, 'intake', $2, 3, 17, $3, 1, $4, $5, $6, now())",
        f"{TOPIC_PREFIX}claims.submitted.v1.dlq",
        f"{TOPIC_PREFIX}claims.submitted.v1",
        f"SCHEMA_INVALID for {EMAIL}",
        b"642515712",
        json.dumps(value).encode(),
        encode_headers([("x-contact", EMAIL.encode()), ("x-null", None)]),
    )


async def _views(pool: asyncpg.Pool) -> list[audit.AuditRow]:
    async with pool.acquire() as conn:
        rows = await audit.latest(conn, action=audit.PERSONAL_DATA_VIEWED, limit=50)
    return [row for row in rows if row.target == f"dead_letter:{LETTER}"]


async def test_a_dead_letter_is_masked_unless_asked_and_every_unmasked_read_is_audited(pool) -> None:
    await _dead_letter(pool)
    sam, aude, cora = [
        await _token(pool, login, role)
        for login, role in (("sam", "supervisor"), ("aude", "auditor"), ("cora", "caseworker"))
    ]
    async with _api(pool) as api:
        masked = await api.get(PATH, headers=sam)
        assert masked.status_code == 200, masked.text
        letter = masked.json()
        assert (letter["id"], letter["service"], letter["state"], letter["unmasked"]) == (
            LETTER,
            "intake",
            "waiting",
            False,
        )
        assert (letter["original_topic"], letter["original_partition"], letter["original_offset"]) == (
            f"{TOPIC_PREFIX}claims.submitted.v1",
            3,
            17,
        )
        assert letter["payload"]["claim"]["contact"]["full_name"] == "***"
        assert not [secret for secret in (EMAIL, IBAN, NAME) if secret in masked.text], masked.text
        assert letter["key"] == "642515712" and ["x-null", ""] in letter["headers"]
        assert await _views(pool) == []  # a masked read is no personal data seen

        unmasked = await api.get(PATH, params={"unmasked": "1"}, headers=aude)
        assert unmasked.status_code == 200, unmasked.text
        assert unmasked.json()["unmasked"] is True
        assert unmasked.json()["payload"]["claim"]["contact"] == {"email": EMAIL, "full_name": NAME}
        assert ["x-contact", EMAIL] in unmasked.json()["headers"]
        [view] = await _views(pool)
        assert view.actor == "aude" and view.details["fields"] == ["payload"]

        refused = await api.get(PATH, params={"unmasked": "1"}, headers=cora)
        assert refused.status_code == 403 and EMAIL not in refused.text
        assert (await api.get(PATH, params={"unmasked": "1"})).status_code == 401
        assert (
            await api.get(PATH, params={"unmasked": "1"}, headers={"authorization": "Bearer gbo_nope"})
        ).status_code == 401
        assert (await api.get(PATH, params={"unmasked": "oui"}, headers=sam)).status_code == 400
        unknown = await api.get("/api/v1/dead-letters/nothing.dlq:0:1", params={"unmasked": "1"}, headers=sam)
        assert unknown.status_code == 404
        assert len(await _views(pool)) == 1  # neither a refusal nor an unknown letter showed anything
