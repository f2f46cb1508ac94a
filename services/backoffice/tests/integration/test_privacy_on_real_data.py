"""Personal data on the real read model and the real web app (issue 18): intake's erasure empties the back-office's
copies in PostgreSQL and is announced through its outbox, the claim page then says "effacé le JJ/MM/AAAA", a SEPA
file sealed under its batch's key downloads until the key is destroyed and then says it was erased, and the privacy
API answers a supervisor (audited, the export read counted as an unmasked view) and refuses a caseworker."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from guichet_backoffice import accounts, audit
from guichet_backoffice.privacy_model import AccessPart, ExportRequest
from guichet_backoffice.privacy_repository import PrivacyRepository
from guichet_common.contracts.backoffice import SepaFileV1
from guichet_common.contracts.privacy import ClaimKeysV1
from guichet_common.privacy.requests import erasure_announcement
from guichet_common.privacy.sealing import seal

from ..unit.events import CLAIM, NOW, data_key, record
from .test_pages_on_real_data import Browse, browse, projected  # noqa: F401  (the fixture)
from .test_read_model import project

pytestmark = pytest.mark.integration
ERASED_AT = dt.datetime(2023, 5, 4, 12, tzinfo=dt.UTC)


def intake_erased(claim_id: str, kind: str) -> Any:
    message = erasure_announcement(
        "", "intake", claim_id=claim_id, programme=CLAIM.programme, kind=kind, erased_at=ERASED_AT
    )
    return record("privacy.erased.v1", message.value)


async def test_intakes_erasure_empties_the_copies_and_the_claim_page_says_effaced_on_the_date(
    backoffice_pool: asyncpg.Pool,
    browse: Browse,  # noqa: F811
) -> None:
    await projected(backoffice_pool)
    caseworker = await browse("caseworker")
    before = await caseworker.get("/demandes/CLAIM-001")
    assert "IBAN finissant par" in before.text and "effacé le" not in before.text

    async with backoffice_pool.acquire() as conn:  # an export asked for the person before: a copy of their data
        asked = ExportRequest(uuid.uuid4(), "dpo", "art. 15", {"email": CLAIM.contact.email}, ("CLAIM-001",), (), NOW)
        await PrivacyRepository(conn).add_export(asked)

    await project(backoffice_pool, "privacy.erased.v1", intake_erased("CLAIM-001", "contact"))
    await project(backoffice_pool, "privacy.erased.v1", intake_erased("CLAIM-001", "bank"))
    await project(backoffice_pool, "privacy.erased.v1", intake_erased("CLAIM-001", "bank"))  # once is enough

    claim = await backoffice_pool.fetchrow(
        "SELECT contact, iban_last4, applicant FROM claims WHERE claim_id = 'CLAIM-001'"
    )
    assert (claim["contact"], claim["iban_last4"]) == (None, None) and "address" not in claim["applicant"]
    assert (
        await backoffice_pool.fetchval(
            "SELECT count(*) FROM emails WHERE recipient IS NOT NULL AND claim_id = 'CLAIM-001'"
        )
        == 0
    )
    attempts = await backoffice_pool.fetch("SELECT beneficiary_name, iban_last4, amount_cents FROM payment_attempts")
    assert [tuple(a) for a in attempts] == [(None, None, 150_000)]
    keys = await backoffice_pool.fetch(
        "SELECT kind FROM privacy_keys WHERE subject = 'CLAIM-001' AND destroyed_at IS NOT NULL"
    )
    assert sorted(k["kind"] for k in keys) == ["bank", "contact"]
    announced = await backoffice_pool.fetch("SELECT value FROM outbox WHERE topic = 'privacy.erased.v1'")
    assert len(announced) == 2 and all(b'"service":"backoffice"' in a["value"] for a in announced)
    assert await backoffice_pool.fetchval("SELECT count(*) FROM privacy_exports") == 0
    other = await backoffice_pool.fetchrow("SELECT contact, iban_last4 FROM claims WHERE claim_id = 'CLAIM-002'")
    assert other["contact"] is not None and other["iban_last4"] is not None

    after = await caseworker.get("/demandes/CLAIM-001")
    assert after.status_code == 200
    assert after.text.count("effacé le 04/05/2023") >= 3  # the IBAN, the contact, the e-mail's recipient
    assert "IBAN finissant par" not in after.text and "IBAN effacé" in after.text


async def test_a_sealed_sepa_file_downloads_until_its_batch_key_is_destroyed(
    backoffice_pool: asyncpg.Pool,
    browse: Browse,  # noqa: F811
) -> None:
    content = b"<Document>FR7630006000011234567890189</Document>"
    batch, subject = "B-S1", "batch-B-S1"
    sealed = seal(data_key(subject, "bank"), "bank", subject, base64.b64encode(gzip.compress(content)).decode())
    event = SepaFileV1(
        event_id=uuid.uuid4(), occurred_at=NOW, batch_id=batch, programme=CLAIM.programme, file_name="pain001-B-S1.xml",
        payments=1, total_cents=150_000, sha256=hashlib.sha256(content).hexdigest(), content_gzip_base64=sealed,
    )  # fmt: skip
    await project(backoffice_pool, "payments.sepa-files.v1", event)
    stored = await backoffice_pool.fetchrow(
        "SELECT content_gzip, content_sealed FROM sepa_files WHERE batch_id = $1", batch
    )
    assert stored["content_gzip"] is None and stored["content_sealed"] == sealed
    finance = await browse("finance")
    assert (await finance.get(f"/lots-sepa/{batch}/fichier")).content == content

    destroyed = ClaimKeysV1(subject=subject, owner="payments", keys={"bank": None}, occurred_at=NOW)
    await project(
        backoffice_pool, "privacy.claim-keys.v1", record("privacy.claim-keys.v1", destroyed, key=subject.encode())
    )

    listing = await finance.get("/lots-sepa")
    assert "pain001-B-S1.xml : effacé le" in listing.text and f'href="/lots-sepa/{batch}/fichier"' not in listing.text
    gone = await finance.get(f"/lots-sepa/{batch}/fichier")
    assert gone.status_code == 410 and "a été effacé le" in gone.text and b"FR76" not in gone.content


async def test_the_privacy_api_answers_a_supervisor_audited_and_refuses_a_caseworker(
    backoffice_pool: asyncpg.Pool,
    browse: Browse,  # noqa: F811
) -> None:
    await projected(backoffice_pool)
    await project(backoffice_pool, "privacy.erased.v1", intake_erased("CLAIM-001", "bank"))
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=browse.app), base_url="http://127.0.0.1")
    browse.browsers.append(api)
    supervisor, caseworker = (
        await _token(backoffice_pool, "dpo-1", "supervisor"),
        await _token(backoffice_pool, "cw-1", "caseworker"),
    )

    body = {"email": CLAIM.contact.email, "reason": "demande d'accès, courrier du 01/12"}
    refused = await api.post("/api/privacy/exports", json=body, headers=caseworker)
    asked = await api.post("/api/privacy/exports", json=body, headers=supervisor)

    assert refused.status_code == 403
    assert asked.status_code == 202 and asked.json()["claim_ids"] == ["CLAIM-001", "CLAIM-002", "CLAIM-003"]
    request_id = uuid.UUID(asked.json()["request_id"])
    polled = (await api.get(f"/api/privacy/exports/{request_id}", headers=supervisor)).json()
    services = ["intake", "eligibility", "payments", "notifications", "gateway"]
    assert (polled["complete"], polled["missing"], polled["parts"]) == (False, services, [])
    async with backoffice_pool.acquire() as conn:
        parts = [AccessPart(request_id, s, ("CLAIM-001",), [{"store": "x"}], NOW) for s in services]
        await PrivacyRepository(conn).record_responses(parts)
    export = (await api.get(f"/api/privacy/exports/{request_id}", headers=supervisor)).json()
    assert export["complete"] is True and len(export["parts"]) == 6
    [own] = [part for part in export["parts"] if part["service"] == "backoffice"]
    claims = {r["claim_id"]: r["fields"] for r in own["records"] if r["store"] == "table claims"}
    assert claims["CLAIM-001"]["iban_last4"] == {"erased_on": "2023-05-04"}
    assert claims["CLAIM-002"]["contact"]["email"] == CLAIM.contact.email
    commands = await backoffice_pool.fetch(
        "SELECT topic FROM outbox WHERE topic LIKE 'it-pages.backoffice.%-commands.v1'"
    )
    assert len(commands) == 5
    outcome = await api.get(f"/api/privacy/requests/{uuid.uuid4()}", headers=supervisor)
    assert outcome.json()["pending"] is True
    async with backoffice_pool.acquire() as conn:
        rows = await audit.latest(conn, actor="dpo-1")
    assert {r.action for r in rows} >= {"privacy_export_requested", audit.PERSONAL_DATA_VIEWED, "privacy_request_read"}
    assert all(CLAIM.contact.email not in str(r.details) + r.target for r in rows)


async def _token(pool: asyncpg.Pool, login: str, role: str) -> dict[str, str]:
    async with pool.acquire() as conn, conn.transaction():
        await accounts.add(conn, login, role, by="tests")
        return {"authorization": "Bearer " + await accounts.issue_token(conn, login, "console", by=login)}
