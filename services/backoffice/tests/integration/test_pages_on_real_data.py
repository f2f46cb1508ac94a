"""The pages on the real read model and the real web app (sign-in, sessions, CSRF, audit trail), in-process over
httpx's ASGI transport: the projected story renders for each role, personal data stays masked until asked for,
asking is in the audit trail, and every page (the sign-in and admin pages included) keeps the accessible markup."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
import pytest

from guichet_backoffice import accounts, audit
from guichet_backoffice.settings import BackofficeSettings
from guichet_common.contracts.backoffice import SetAsideV1
from guichet_common.db import PoolSlot

from ..unit.events import at, dead_letter_record
from ..unit.test_pages_accessibility import check_structure
from .test_read_model import project, story

pytestmark = pytest.mark.integration
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
IBAN = "FR7630006000011234567890189"
LETTER_ID = "claims.submitted.v1.dlq:1:{offset}"
ROLES = ("caseworker", "supervisor", "finance", "auditor", "admin")


class Browse:
    """`await browse(role)`: a browser signed in through the sign-in form as a new account of that role;
    `browse.signed_out()`: one with no session."""

    def __init__(self, app: Any, pool: asyncpg.Pool) -> None:
        self.app, self.pool, self.browsers = app, pool, list[httpx.AsyncClient]()

    def signed_out(self) -> httpx.AsyncClient:
        browser = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://127.0.0.1")
        self.browsers.append(browser)
        return browser

    async def __call__(self, role: str) -> httpx.AsyncClient:
        login, password = f"{role}-{uuid.uuid4().hex[:6]}", "Un-mot-de-passe-de-test"
        async with self.pool.acquire() as conn, conn.transaction():
            one_time = await accounts.add(conn, login, role, by="tests")
            await accounts.change_password(conn, login, one_time, password)
        browser = self.signed_out()
        form = await browser.get("/connexion")
        answer = await browser.post("/connexion", data={"login": login, "password": password, "csrf_token": csrf(form)})
        assert answer.status_code == 303, answer.text
        browser.headers["x-login"] = login  # for the test's own reading, the app ignores it
        return browser


@pytest.fixture
async def browse(backoffice_pool: asyncpg.Pool) -> AsyncIterator[Browse]:
    from guichet_backoffice.web.app import create_web

    slot = PoolSlot()
    slot.fill(backoffice_pool)
    settings = BackofficeSettings(GUICHET_TOPIC_PREFIX="it-pages.", cookie_secure=False)  # type: ignore[call-arg]
    browse = Browse(create_web(SimpleNamespace(settings=settings, pool=slot)), backoffice_pool)  # type: ignore[arg-type]
    yield browse
    for browser in browse.browsers:
        await browser.aclose()


def csrf(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


async def projected(pool: asyncpg.Pool) -> str:
    """The read model's story (three claims, a payment, a SEPA file, an e-mail, a budget), a dead letter and a
    blocked payment; returns the dead letter's id."""
    await story(pool)
    letter = dead_letter_record("claims.submitted.v1", f'{{"iban": "{IBAN}"}}'.encode(), "schema: claim")
    await project(pool, "claims.submitted.v1.dlq", letter)
    held = SetAsideV1(
        event_id=uuid.uuid4(),
        occurred_at=at(1),
        service="payments",
        kind="payment_attempt",
        item_id="P-1:1",
        state="held",
    )
    await project(pool, "operations.set-aside.v1", held)
    return LETTER_ID.format(offset=letter.offset)


async def test_each_page_opens_for_its_roles_on_the_projected_story(backoffice_pool, browse: Browse) -> None:
    letter_id = await projected(backoffice_pool)
    opens = {
        "/demandes/a-verifier?code=INVOICE_REUSED": {"caseworker", "supervisor", "auditor"},
        "/demandes/CLAIM-001": {"caseworker", "supervisor", "auditor"},
        "/lettres-mortes": {"supervisor", "auditor"},
        f"/lettres-mortes/{letter_id}": {"supervisor", "auditor"},
        "/mis-de-cote": {"supervisor", "auditor"},
        "/tableau-de-bord": set(ROLES),
        "/paiements": {"finance", "auditor"},
        "/lots-sepa": {"finance", "auditor"},
        "/liste-d-attente": {"finance", "supervisor", "auditor"},
        "/budget": {"finance", "supervisor", "auditor"},
    }
    for role in ROLES:
        browser = await browse(role)
        for path, roles in opens.items():
            page = await browser.get(path)
            assert page.status_code == (200 if role in roles else 403), (role, path, page.text[:300])
            check_structure(page.text)
    queue = await (await browse("caseworker")).get("/demandes/a-verifier?code=INVOICE_REUSED")
    assert '<a href="/demandes/CLAIM-002">CLAIM-002</a>' in queue.text
    assert "CLAIM-001" not in queue.text


async def test_the_sign_in_decisions_audit_accounts_and_token_pages_share_the_accessible_layout(
    backoffice_pool, browse: Browse
) -> None:
    check_structure((await browse.signed_out().get("/connexion")).text)
    for role, path in (
        ("supervisor", "/decisions/en-attente"),
        ("auditor", "/audit"),
        ("admin", "/comptes"),
        ("finance", "/jeton"),
    ):
        page = await (await browse(role)).get(path)
        assert page.status_code == 200, (role, path)
        check_structure(page.text)


async def test_unmasking_a_claim_is_recorded_in_the_audit_trail(backoffice_pool, browse: Browse) -> None:
    await projected(backoffice_pool)
    caseworker = await browse("caseworker")
    page = await caseworker.get("/demandes/CLAIM-001")
    assert "claire@example.fr" not in page.text and "c***@***.fr" in page.text

    shown = await caseworker.post("/demandes/CLAIM-001/donnees-personnelles", data={"csrf_token": csrf(page)})
    refused = await caseworker.post("/demandes/CLAIM-001/donnees-personnelles", data={})

    assert shown.status_code == 200 and "claire@example.fr" in shown.text
    assert refused.status_code == 403 and "claire@example.fr" not in refused.text
    async with backoffice_pool.acquire() as conn:
        rows = await audit.latest(conn, actor=caseworker.headers["x-login"], action=audit.PERSONAL_DATA_VIEWED)
    assert [row.target for row in rows] == ["claim:CLAIM-001"]
    trail = await (await browse("auditor")).get("/audit")
    assert "claim:CLAIM-001" in trail.text


async def test_a_dead_letters_iban_is_masked_until_a_supervisor_asks(backoffice_pool, browse: Browse) -> None:
    letter_id = await projected(backoffice_pool)
    supervisor = await browse("supervisor")
    page = await supervisor.get(f"/lettres-mortes/{letter_id}")
    assert IBAN not in page.text and "/rejouer" in page.text

    shown = await supervisor.post(f"/lettres-mortes/{letter_id}/donnees-personnelles", data={"csrf_token": csrf(page)})

    assert IBAN in shown.text
    async with backoffice_pool.acquire() as conn:
        rows = await audit.latest(conn, actor=supervisor.headers["x-login"], action=audit.PERSONAL_DATA_VIEWED)
    assert [row.target for row in rows] == [f"dead_letter:{letter_id}"]


async def test_finance_downloads_a_sepa_file_as_an_attachment_and_the_download_is_recorded(
    backoffice_pool, browse: Browse
) -> None:
    await projected(backoffice_pool)
    finance, auditor = await browse("finance"), await browse("auditor")
    listing = await finance.get("/lots-sepa")
    assert 'href="/lots-sepa/B-1/fichier"' in listing.text
    assert 'href="/lots-sepa/B-1/fichier"' not in (await auditor.get("/lots-sepa")).text

    download = await finance.get("/lots-sepa/B-1/fichier")

    assert download.status_code == 200 and download.content == b"<Document>FR76</Document>"
    assert download.headers["content-disposition"].startswith("attachment; filename=")
    assert download.headers["cache-control"] == "no-store"
    assert (await auditor.get("/lots-sepa/B-1/fichier")).status_code == 403
    async with backoffice_pool.acquire() as conn:
        rows = await audit.latest(conn, actor=finance.headers["x-login"])
    assert (rows[0].action, rows[0].target) == ("sepa_file_downloaded", "sepa_batch:B-1")
