"""Intake's personal data on real PostgreSQL: registration stores the claim's keys and writes them to the outbox
before what is sealed under them; notifications' erasure shreds the key, blanks intake's copy and is announced;
a person's export and rectification read and write the same rows."""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from typing import Any

import asyncpg
import pytest

from guichet_common.clock import fixed_clock
from guichet_common.contracts import EXAMPLES
from guichet_common.contracts.backoffice import OperatorCommandV1
from guichet_common.contracts.privacy import PrivacyErasedV1
from guichet_common.operator_commands import OperatorCommands
from guichet_common.pipeline import Subscription, contract
from guichet_common.privacy.keyring import Erased, Opener
from guichet_common.records import InboundRecord
from guichet_common.unit_of_work import open_unit_of_work
from guichet_intake.app import MIGRATIONS
from guichet_intake.erasure import ErasureFollower
from guichet_intake.handlers import decode_submission
from guichet_intake.person_requests import IntakePrivacyRequests
from guichet_intake.service import DEVELOPMENT_MASTER, IntakeService
from guichet_intake.unit_of_work import IntakeUnitOfWork

pytestmark = pytest.mark.integration
EXAMPLE = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text())
CLAIM_ID = EXAMPLE["claim"]["claim_id"]
EMAIL = EXAMPLE["claim"]["contact"]["email"]
NOW = dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)
SUBMISSIONS: Subscription[IntakeUnitOfWork, Any] = Subscription(
    IntakeService(programmes=frozenset({"cheque-france-num-2021"})).apply_submissions, decode_submission
)
ERASURES: Subscription[IntakeUnitOfWork, Any] = Subscription(
    ErasureFollower("", fixed_clock(NOW)).follow, contract(PrivacyErasedV1)
)


def record(topic: str, value: dict[str, Any], offset: int) -> InboundRecord:
    return InboundRecord(topic, 0, offset, CLAIM_ID.encode(), json.dumps(value).encode())


def erased(kind: str) -> InboundRecord:
    value = {
        "event_id": str(uuid.uuid4()),
        "occurred_at": "2024-03-01T11:00:00Z",
        "claim_id": CLAIM_ID,
        "kind": kind,
        "service": "notifications",
        "reason": "retention",
        "erased_at": "2024-03-01T11:00:00Z",
    }
    return record("privacy.erased.v1", value, 1)


async def outbox(pool: asyncpg.Pool) -> list[tuple[str, dict[str, Any]]]:
    rows = await pool.fetch("SELECT topic, value FROM outbox ORDER BY id")
    return [(r["topic"], json.loads(r["value"])) for r in rows]


async def opened(pool: asyncpg.Pool, value: str) -> str | Erased:
    async with open_unit_of_work(pool, IntakeUnitOfWork) as uow:
        return (await Opener(DEVELOPMENT_MASTER).open_many(uow.keys, [value]))[value]


async def register(pool: asyncpg.Pool) -> dict[str, Any]:
    event = {**copy.deepcopy(EXAMPLE), "event_id": str(uuid.uuid4())}
    async with open_unit_of_work(pool, IntakeUnitOfWork) as uow:
        await SUBMISSIONS.apply(uow, [record("claims.submitted.v1", event, 1)])
    [registered] = [v for t, v in await outbox(pool) if t == "intake.claims-registered.v1"]
    return registered["claim"]


async def command(pool: asyncpg.Pool, action: str, **more: Any) -> None:
    request = OperatorCommandV1.model_validate_json(
        json.dumps(
            {
                "event_id": str(uuid.uuid4()),
                "occurred_at": "2024-03-02T00:00:00Z",
                "service": "intake",
                "action": action,
                "target": CLAIM_ID,
                "requested_by": "agent.dupont",
                "reason": "demande de la personne",
                "claim_ids": [CLAIM_ID],
                **more,
            }
        )
    )
    # An opener of its own: each test makes the same claim's keys anew.
    privacy = IntakePrivacyRequests(DEVELOPMENT_MASTER, Opener(DEVELOPMENT_MASTER))
    requests = OperatorCommands("intake", lambda uow: None, privacy=privacy, clock=fixed_clock(NOW))
    async with open_unit_of_work(pool, IntakeUnitOfWork) as uow:
        uow.publish(await requests.apply(uow, [request]))
        await uow.commit()


async def test_registration_stores_and_announces_the_keys_before_what_they_seal(intake_pool: asyncpg.Pool) -> None:
    claim = await register(intake_pool)
    topics = [topic for topic, _ in await outbox(intake_pool)]
    assert topics[:3] == ["privacy.claim-keys.v1", "intake.claims-registered.v1", "intake.applicant-contacts.v1"]
    kinds = await intake_pool.fetch("SELECT kind FROM privacy_keys WHERE subject = $1 ORDER BY kind", CLAIM_ID)
    assert [r["kind"] for r in kinds] == ["bank", "contact"]
    stored = await intake_pool.fetchval("SELECT payload::text FROM claims WHERE claim_id = $1", CLAIM_ID)
    assert EMAIL not in stored and json.loads(stored)["contact"] == claim["contact"]
    assert await opened(intake_pool, claim["contact"]["email"]) == EMAIL


async def test_notifications_erasure_shreds_the_key_and_blanks_intakes_copy(intake_pool: asyncpg.Pool) -> None:
    claim = await register(intake_pool)
    before = len(await outbox(intake_pool))
    for _ in range(2):  # a redelivery, under another event id, changes nothing more
        async with open_unit_of_work(intake_pool, IntakeUnitOfWork) as uow:
            await ERASURES.apply(uow, [erased("contact")])
    published = (await outbox(intake_pool))[before:]
    assert [t for t, _ in published] == ["privacy.claim-keys.v1", "privacy.erased.v1"]
    assert published[0][1]["keys"]["contact"] is None and published[1][1]["service"] == "intake"
    assert await opened(intake_pool, claim["contact"]["email"]) == Erased(NOW)
    assert isinstance(await opened(intake_pool, claim["bank_account"]["iban"]), str)
    payload = json.loads(await intake_pool.fetchval("SELECT payload::text FROM claims"))
    assert payload["contact"] == {"full_name": None, "email": None, "phone": None}
    assert payload["applicant"]["siren"] == EXAMPLE["claim"]["applicant"]["siren"]
    await command(intake_pool, "privacy_export")
    [(_, response)] = [(t, v) for t, v in await outbox(intake_pool) if t == "privacy.access-responses.v1"]
    fields = response["records"][0]["fields"]["claim"]
    assert fields["contact"]["email"] == {"erased_on": "2024-03-01"}
    assert fields["bank_account"]["iban"] == EXAMPLE["claim"]["bank_account"]["iban"]


async def test_a_rectified_contact_is_kept_sealed_and_announced_again(intake_pool: asyncpg.Pool) -> None:
    await register(intake_pool)
    await command(intake_pool, "privacy_rectify", rectification={"email": "nouvelle@example.org"})
    contacts = [v for t, v in await outbox(intake_pool) if t == "intake.applicant-contacts.v1"]
    assert len(contacts) == 2 and await opened(intake_pool, contacts[-1]["email"]) == "nouvelle@example.org"
    stored = json.loads(await intake_pool.fetchval("SELECT payload::text FROM claims"))["contact"]
    assert await opened(intake_pool, stored["email"]) == "nouvelle@example.org"
    assert await opened(intake_pool, stored["full_name"]) == EXAMPLE["claim"]["contact"]["full_name"]


async def test_refusals_recorded_before_masking_are_masked_by_the_migration(intake_pool: asyncpg.Pool) -> None:
    quoted = ["claim.contact.jean.dupont@example.org: Extra inputs", "claim.x.FR7693233145437431125912957: Extra"]
    await intake_pool.execute(
        "INSERT INTO refusals (event_id, claim_id, codes, details) VALUES ($1, $2, $3, $4::text::jsonb)",
        uuid.uuid4(),
        CLAIM_ID,
        ["SCHEMA_INVALID"],
        json.dumps([*quoted, "claim.applicant.headcount: Input should be a valid integer"]),
    )
    await intake_pool.execute((MIGRATIONS / "003-refusal-details-masked.sql").read_text())
    details = json.loads(await intake_pool.fetchval("SELECT details::text FROM refusals"))
    assert details == [
        "***@***: Extra inputs",  # as mask_text masks new ones
        "claim.x.FR*****: Extra",
        "claim.applicant.headcount: Input should be a valid integer",
    ]
