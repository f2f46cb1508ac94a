"""The gateway's part of a person's rights on its real PostgreSQL: intake's erasures, consumed as records, are recorded
and announced once for the gateway's claims; then a replayed identical post still gets its first answer and
publishes nothing, GET /v1/claims/{id} says when each kind was erased, and once the relay has published the posts no
table of the gateway holds a contact or bank value. Digests are kept keyed. A subject-access export answers the
asked claims' rows only. No contact or bank value reaches the logs, the problems answered or a set-aside reason."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import structlog
import structlog.testing

from guichet_common.clock import fixed_clock
from guichet_common.contracts.backoffice import OperatorCommandV1
from guichet_common.contracts.privacy import AccessResponseV1, PrivacyErasedV1
from guichet_common.db import PoolSlot
from guichet_common.operator_command_targets import operator_commands_for
from guichet_common.outbox import queued_messages
from guichet_common.pipeline import Subscription, contract
from guichet_common.records import InboundRecord
from guichet_common.set_aside import held_items
from guichet_common.settings import CommonSettings
from guichet_common.unit_of_work import announcing, open_unit_of_work
from guichet_gateway import operators
from guichet_gateway.digests import digest_key
from guichet_gateway.http.app import build_api
from guichet_gateway.http.context import ApiContext
from guichet_gateway.http.validation import validated_bank_details, validated_claim
from guichet_gateway.privacy.service import GatewayPrivacyRequests
from guichet_gateway.privacy.wiring import ERASURE_SET_ASIDE_KIND, erasure_follower
from guichet_gateway.unit_of_work import GatewayUnitOfWork

from .test_api import BANK_DETAILS, CLAIM_ID, EXAMPLE_CLAIM, portal

pytestmark = pytest.mark.integration
ERASED_AT = dt.datetime(2029, 1, 5, 3, 0, tzinfo=dt.UTC)
ERASED_TOPIC = "privacy.erased.v1"
KEY = digest_key(CommonSettings().master_key())


@pytest.fixture
async def api(gateway_pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    slot = PoolSlot()
    slot.fill(gateway_pool)
    app = build_api(ApiContext(slot, lambda: GatewayUnitOfWork, "", 4096, 600, KEY))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client


def announcement(service: str, kind: str, claim_id: str = CLAIM_ID, **fields: Any) -> bytes:
    values = {"event_id": str(uuid.uuid4()), "occurred_at": ERASED_AT.isoformat(), "claim_id": claim_id}
    values |= {"kind": kind, "service": service, "reason": "retention", "erased_at": ERASED_AT.isoformat()}
    return json.dumps(values | fields).encode()


async def consume_erasures(pool: asyncpg.Pool, values: list[bytes]) -> None:
    follower = Subscription(
        use_case=erasure_follower("", fixed_clock(ERASED_AT), KEY),
        decode=contract(PrivacyErasedV1),
        set_aside_kind=ERASURE_SET_ASIDE_KIND,
    )
    records = [InboundRecord(ERASED_TOPIC, 0, offset, None, value) for offset, value in enumerate(values)]
    async with open_unit_of_work(pool, announcing(GatewayUnitOfWork, "gateway", "")) as uow:
        await follower.apply(uow, records)


async def announced(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        return [json.loads(m.value) for m in await queued_messages(conn, ERASED_TOPIC)]


async def text_holding(pool: asyncpg.Pool, values: list[str]) -> list[str]:
    """table.column of every text, jsonb or bytea column of the database that holds one of `values`."""
    columns = await pool.fetch(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
        " AND data_type IN ('text', 'jsonb', 'bytea', 'character varying')"
    )
    found = []
    for column in columns:
        table, name = column["table_name"], column["column_name"]
        rows = await pool.fetch(f'SELECT "{name}"::text AS v FROM "{table}" WHERE "{name}" IS NOT NULL')
        as_text = [r["v"] for r in rows]
        if table == "outbox" and name == "value":  # bytea as hex: read it back as the UTF-8 the outbox wrote
            as_text = [bytes.fromhex(v[2:]).decode() for v in as_text]
        if any(value in text for value in values for text in as_text):
            found.append(f"{table}.{name}")
    return found


async def test_intakes_erasures_are_followed_and_a_replayed_post_gets_its_first_answer(api, gateway_pool) -> None:
    alpha = await portal(gateway_pool, "alpha")
    first = await api.post("/v1/claims", json=EXAMPLE_CLAIM, headers=alpha)
    bank = await api.post(f"/v1/claims/{CLAIM_ID}/bank-details", json=BANK_DETAILS, headers=alpha)
    assert (first.status_code, bank.status_code) == (202, 202)
    personal = [
        EXAMPLE_CLAIM["contact"]["email"],
        EXAMPLE_CLAIM["contact"]["full_name"],
        EXAMPLE_CLAIM["bank_account"]["iban"],
        BANK_DETAILS["iban"],
    ]
    assert await text_holding(gateway_pool, personal) == ["outbox.value"]  # the posts, until the relay publishes

    request = str(uuid.uuid4())
    await consume_erasures(
        gateway_pool,
        [
            announcement("notifications", "contact"),  # notifications starts the chain: intake's is the gateway's cue
            announcement("intake", "contact"),
            announcement("intake", "bank", reason="request", request_id=request, requested_by="d.dupont"),
            announcement("intake", "contact", claim_id="KAFKA-PORTAL-0001"),  # posted elsewhere
            b"not json",  # set aside, not dead-lettered: intake owns the topic
        ],
    )
    await consume_erasures(gateway_pool, [announcement("intake", "contact")])  # again: already recorded

    gateway_says = sorted(
        (a["kind"], a["service"], a["erased_at"][:10], a.get("request_id")) for a in await announced(gateway_pool)
    )
    assert gateway_says == [("bank", "gateway", "2029-01-05", request), ("contact", "gateway", "2029-01-05", None)]
    async with gateway_pool.acquire() as conn:
        assert [item.kind for item in await held_items(conn)] == [ERASURE_SET_ASIDE_KIND]
    await gateway_pool.execute("DELETE FROM outbox")  # as the relay does once it has published them

    again = await api.post("/v1/claims", json=EXAMPLE_CLAIM, headers=alpha)
    bank_again = await api.post(f"/v1/claims/{CLAIM_ID}/bank-details", json=BANK_DETAILS, headers=alpha)
    other_body = await api.post("/v1/claims", json={**EXAMPLE_CLAIM, "programme": "other"}, headers=alpha)
    assert (again.status_code, again.json()) == (202, first.json())
    assert (bank_again.status_code, bank_again.json()) == (202, bank.json())
    assert other_body.status_code == 409
    assert await gateway_pool.fetchval("SELECT count(*) FROM outbox") == 0  # nothing published again

    history = (await api.get(f"/v1/claims/{CLAIM_ID}", headers=alpha)).json()
    assert history["erased"] == [
        {"kind": "bank", "erased_on": "2029-01-05"},
        {"kind": "contact", "erased_on": "2029-01-05"},
    ]
    assert await text_holding(gateway_pool, personal) == []


async def test_a_subject_access_export_answers_the_asked_claims_rows_only(api, gateway_pool) -> None:
    alpha = await portal(gateway_pool, "alpha")
    other_claim = {**EXAMPLE_CLAIM, "claim_id": "CFN-OTHER-00000001"}
    for claim in (EXAMPLE_CLAIM, other_claim):
        assert (await api.post("/v1/claims", json=claim, headers=alpha)).status_code == 202
    await api.post(f"/v1/claims/{CLAIM_ID}/bank-details", json=BANK_DETAILS, headers=alpha)
    await consume_erasures(gateway_pool, [announcement("intake", "bank")])
    commands = Subscription(
        use_case=operator_commands_for("gateway", CommonSettings(), operators, privacy=GatewayPrivacyRequests()).apply,
        decode=contract(OperatorCommandV1),
    )
    command = {
        "event_id": str(uuid.uuid4()),
        "occurred_at": ERASED_AT.isoformat(),
        "service": "gateway",
        "action": "privacy_export",
        "target": CLAIM_ID,
        "requested_by": "d.dupont",
        "reason": "demande d'accès (art. 15)",
        "claim_ids": [CLAIM_ID],
    }
    record = InboundRecord("backoffice.gateway-commands.v1", 0, 0, None, json.dumps(command).encode())
    async with open_unit_of_work(gateway_pool, announcing(GatewayUnitOfWork, "gateway", "")) as uow:
        await commands.apply(uow, [record])

    async with gateway_pool.acquire() as conn:
        (response,) = await queued_messages(conn, "privacy.access-responses.v1")
    answer = AccessResponseV1.model_validate_json(response.value)
    assert (answer.service, answer.claim_ids) == ("gateway", [CLAIM_ID])
    assert {record.claim_id for record in answer.records} == {CLAIM_ID}
    by_store = {record.store: record.fields for record in answer.records}
    assert set(by_store) == {"table claims", "table bank_details_posts", "table privacy_erasures"}
    assert by_store["table claims"]["portal"] == "alpha" and len(by_store["table claims"]["body_digest"]) == 64
    assert by_store["table privacy_erasures"] == {
        "kind": "bank",
        "erased": {"erased_on": "2029-01-05"},
        "reason": "retention",
    }


async def test_digests_are_kept_keyed_and_a_plain_one_from_before_is_keyed_at_erasure(api, gateway_pool) -> None:
    alpha = await portal(gateway_pool, "alpha")
    first = await api.post("/v1/claims", json=EXAMPLE_CLAIM, headers=alpha)
    bank = await api.post(f"/v1/claims/{CLAIM_ID}/bank-details", json=BANK_DETAILS, headers=alpha)
    _, claim_plain = validated_claim(json.dumps(EXAMPLE_CLAIM).encode())
    _, bank_plain = validated_bank_details(json.dumps(BANK_DETAILS).encode(), CLAIM_ID, uuid.uuid4(), ERASED_AT)
    digests = "SELECT body_sha256 AS digest, body_digest_keyed AS keyed FROM {} WHERE claim_id = $1"
    new_rows = [
        dict(await gateway_pool.fetchrow(digests.format(t), CLAIM_ID)) for t in ("claims", "bank_details_posts")
    ]
    assert new_rows == [{"digest": KEY(claim_plain), "keyed": True}, {"digest": KEY(bank_plain), "keyed": True}]

    # Rows written before digests were keyed hold the plain SHA-256: they still match, and are keyed at erasure.
    await gateway_pool.execute("UPDATE claims SET body_sha256 = $1, body_digest_keyed = false", claim_plain)
    await gateway_pool.execute("UPDATE bank_details_posts SET body_sha256 = $1, body_digest_keyed = false", bank_plain)
    assert (await api.post("/v1/claims", json=EXAMPLE_CLAIM, headers=alpha)).json() == first.json()
    await consume_erasures(gateway_pool, [announcement("intake", "contact")])
    await consume_erasures(gateway_pool, [announcement("intake", "bank")])

    after = [dict(await gateway_pool.fetchrow(digests.format(t), CLAIM_ID)) for t in ("claims", "bank_details_posts")]
    assert after == new_rows  # keyed once, not twice
    again = await api.post(f"/v1/claims/{CLAIM_ID}/bank-details", json=BANK_DETAILS, headers=alpha)
    assert (again.status_code, again.json()) == (202, bank.json())


async def test_no_contact_or_bank_value_reaches_the_logs_or_the_problems(api, gateway_pool) -> None:
    alpha = await portal(gateway_pool, "alpha")
    bad_email = {**EXAMPLE_CLAIM, "contact": {**EXAMPLE_CLAIM["contact"], "email": "jeanne.martin(at)exemple.fr"}}
    bad_iban = {**BANK_DETAILS, "iban": "FR76 JEANNE MARTIN", "holder_name": "x" * 141}
    with structlog.testing.capture_logs() as logged:
        answers = [
            await api.post("/v1/claims", json=EXAMPLE_CLAIM, headers=alpha),
            await api.post("/v1/claims", json={**EXAMPLE_CLAIM, "programme": "other"}, headers=alpha),  # 409
            await api.post("/v1/claims", json=bad_email, headers=alpha),  # 422
            await api.post(f"/v1/claims/{CLAIM_ID}/bank-details", json=BANK_DETAILS, headers=alpha),
            await api.post(f"/v1/claims/{CLAIM_ID}/bank-details", json=bad_iban, headers=alpha),  # 422
        ]
        await consume_erasures(
            gateway_pool, [announcement("intake", "contact"), b'{"iban": "FR7630006000011234567890189"}']
        )
    assert [answer.status_code for answer in answers] == [202, 409, 422, 202, 422]
    personal = [
        *(EXAMPLE_CLAIM["contact"][field] for field in ("email", "full_name", "phone")),
        EXAMPLE_CLAIM["bank_account"]["iban"],
        EXAMPLE_CLAIM["bank_account"]["holder_name"],
        BANK_DETAILS["iban"],
        "jeanne.martin(at)exemple.fr",
        "JEANNE MARTIN",
    ]
    said = repr(logged) + "".join(answer.text for answer in answers)
    assert logged and [value for value in personal if value in said] == []
    assert await text_holding(gateway_pool, personal) == ["outbox.value"]  # the set-aside reason says no value
