"""The back-office in real headless Chromium, on the real stack: people sign in through the sign-in form, one per
role, and do what the issue's "done when" names: four eyes on a claim with a fraud signal down to its payment,
pages a role may not open, sign-in and CSRF guards, the audit of an unmasked view, and axe-core on every page."""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass

import pytest
from browser_axe import assert_accessible
from browser_claims import claim_event, keyed, new_applicant, registry_record, settled
from browser_people import SIGN_IN_PATH, csrf_token, path_of, sign_in
from playwright.async_api import Page, expect

from guichet_backoffice.auth.roles import ROLES, holds
from guichet_backoffice.web.pages_common import PAGES

pytestmark = pytest.mark.e2e

REVIEW_QUEUE = "/demandes/a-verifier"
PENDING_DECISIONS = "/decisions/en-attente"
# The pages the issue names; the menu (PAGES, which the routes' guards share) must hold them all.
ISSUE_PAGES = {
    REVIEW_QUEUE,
    PENDING_DECISIONS,
    "/lettres-mortes",
    "/mis-de-cote",
    "/tableau-de-bord",
    "/paiements",
    "/lots-sepa",
    "/liste-d-attente",
    "/budget",
    "/audit",
    "/comptes",
}
# Every page of the menu, each with the first role (in ROLES order) that may open it.
PAGES_BY_ROLE = {page.path: next(role for role in ROLES if holds(role, *page.roles)) for page in PAGES}
# Pages outside the menu: a claim, a dead letter, a SEPA file, the audit trail as CSV, the password page.
OTHER_PAGES = (
    "/",
    "/demandes/CFN-2021-0000123",
    "/lettres-mortes/inconnue",
    "/lots-sepa/inconnu/fichier",
    "/audit.csv",
    "/mot-de-passe",
)
FINANCE_PAGES = ("/paiements", "/lots-sepa")


def claim_path(claim_id: str) -> str:
    return f"/demandes/{claim_id}"


# ------------------------------------------------------------------------------------------- the claims


@dataclass(frozen=True)
class FraudCase:
    original: str  # approved first: its invoice is the one reused
    reviewed: str  # under review with INVOICE_REUSED


def statuses(records, claim_id: str) -> list[str]:
    return [json.loads(r.value)["status"] for r in records if r.key == claim_id.encode()]


@pytest.fixture(scope="module")
async def fraud_case(stack, probe, backoffice) -> FraudCase:
    """Two companies, both in the registry; the second claims with the first's invoice: INVOICE_REUSED.

    Published once the back-office runs: a back-office started by an earlier test module on this stack shares
    its consumer groups, so a new one starts from that one's committed offsets, not from the beginning."""
    first, second = new_applicant(), new_applicant()
    await probe.publish(stack.topic("registry.companies.v1"), [registry_record(first), registry_record(second)])
    original = claim_event(first)
    await probe.publish(stack.topic("claims.submitted.v1"), [keyed(original)])
    status_topic = stack.topic("claims.status.v1")
    original_id = original["claim"]["claim_id"]
    seen = await probe.read_until(status_topic, lambda rs: "approved" in statuses(rs, original_id))
    assert "approved" in statuses(seen, original_id), statuses(seen, original_id)

    reusing = claim_event(second, invoices=original["claim"]["invoices"])
    reviewed_id = reusing["claim"]["claim_id"]
    await probe.publish(stack.topic("claims.submitted.v1"), [keyed(reusing)])
    seen = await probe.read_until(status_topic, lambda rs: "under_review" in statuses(rs, reviewed_id))
    story = [json.loads(r.value) for r in seen if r.key == reviewed_id.encode()]
    assert [(s["status"], s["reasons"]) for s in story][-1] == ("under_review", ["INVOICE_REUSED"]), story
    return FraudCase(original_id, reviewed_id)


@pytest.fixture(scope="module")
async def poison(stack, probe, backoffice) -> str:
    """A record intake cannot read: it ends on claims.submitted.v1.dlq, so the dead-letter pages have one."""
    key = "browser-poison-" + uuid.uuid4().hex[:8]
    await probe.publish(stack.topic("claims.submitted.v1"), [(key.encode(), b"{ pas du JSON")])
    return key


# ------------------------------------------------------------------------------------------- people


@pytest.fixture(scope="module")
async def signed_in_states(browser, backoffice) -> dict[str, dict]:
    """Each role signed in once through the sign-in form; its cookies, for the contexts of the tests."""
    states = {}
    for role, password in backoffice.passwords.items():
        context = await browser.new_context()
        try:
            await sign_in(context, backoffice.url, backoffice.login(role), password)
            states[role] = await context.storage_state()
        finally:
            await context.close()
    return states


@pytest.fixture
async def as_role(browser, backoffice, signed_in_states):
    """`page = await as_role("finance")`: a page of a fresh context holding that role's signed-in session."""
    from browser_axe import add_axe

    opened = []

    async def open_as(role: str) -> Page:
        context = await browser.new_context(storage_state=signed_in_states[role], locale="fr-FR")
        context.set_default_timeout(15_000)
        await add_axe(context)
        opened.append(context)
        return await context.new_page()

    yield open_as
    for context in opened:
        await context.close()


async def reload_until(page: Page, url: str, text: str, timeout_s: float = 60.0) -> None:
    """Load `url` again until it shows `text`: the read model follows the topics a moment behind."""
    deadline = time.monotonic() + timeout_s
    while True:
        await page.goto(url)
        if text in await page.inner_text("main"):
            return
        assert time.monotonic() < deadline, f"{url} never showed {text!r}:\n{await page.inner_text('main')}"
        await page.wait_for_timeout(500)


# ------------------------------------------------------------------------------------------- sign-in guards


async def test_signed_out_requests_end_at_sign_in(backoffice, new_context) -> None:
    page = await (await new_context()).new_page()
    assert ISSUE_PAGES <= set(PAGES_BY_ROLE), ISSUE_PAGES - set(PAGES_BY_ROLE)
    for path in [*PAGES_BY_ROLE, *OTHER_PAGES]:
        await page.goto(backoffice.url + path)
        assert path_of(page.url) == SIGN_IN_PATH, f"{path} ended at {page.url}"
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await assert_accessible(page)


async def test_wrong_password_is_refused_and_the_form_posted_without_csrf_token_too(backoffice, new_context) -> None:
    context = await new_context()
    page = await context.new_page()
    await page.goto(backoffice.url + SIGN_IN_PATH)
    await page.get_by_label("Identifiant").fill(backoffice.login("caseworker"))
    await page.get_by_label("Mot de passe").fill("pas le bon mot de passe")
    await page.get_by_role("button", name=re.compile("Se connecter")).click()
    await expect(page.locator("main")).to_contain_text("incorrect")
    assert path_of(page.url) == SIGN_IN_PATH
    await assert_accessible(page)  # the page with its error message

    # The right password, but the form without its CSRF token: refused, and nobody is signed in.
    answer = await context.request.post(
        backoffice.url + SIGN_IN_PATH,
        form={"login": backoffice.login("caseworker"), "password": backoffice.passwords["caseworker"]},
        max_redirects=0,
    )
    assert answer.status == 403, answer.status
    await page.goto(backoffice.url + REVIEW_QUEUE)
    assert path_of(page.url) == SIGN_IN_PATH


async def test_a_decision_posted_without_csrf_token_is_refused(backoffice, as_role, fraud_case) -> None:
    page = await as_role("caseworker")
    await page.goto(backoffice.url + claim_path(fraud_case.reviewed))
    answer = await page.request.post(
        backoffice.url + claim_path(fraud_case.reviewed) + "/decision",
        form={"decision": "reject", "reason": "sans jeton"},
        max_redirects=0,
    )
    assert answer.status == 403, answer.status
    await reload_until(page, backoffice.url + claim_path(fraud_case.reviewed), "Décider")  # still undecided


# ------------------------------------------------------------------------------------------- roles


async def test_a_caseworker_cannot_open_finance_pages(backoffice, as_role) -> None:
    page = await as_role("caseworker")
    for path in FINANCE_PAGES:
        response = await page.goto(backoffice.url + path)
        assert response is not None and response.status == 403, (path, response and response.status)
        await expect(page.get_by_role("heading", level=1)).to_have_text("Accès refusé")
    await assert_accessible(page)
    menu = page.get_by_role("navigation", name="Menu principal")
    for path in FINANCE_PAGES:
        await expect(menu.locator(f'a[href="{path}"]')).to_have_count(0)


# ------------------------------------------------------------------------------------------- four eyes


async def test_fraud_signal_approval_needs_a_second_person_then_the_claim_is_paid(
    stack, probe, backoffice, as_role, fraud_case
) -> None:
    caseworker = await as_role("caseworker")
    await reload_until(caseworker, backoffice.url + REVIEW_QUEUE + "?code=INVOICE_REUSED", fraud_case.reviewed)
    await assert_accessible(caseworker)
    await caseworker.get_by_role("link", name=fraud_case.reviewed).click()
    assert path_of(caseworker.url) == claim_path(fraud_case.reviewed)
    await expect(caseworker.locator("main")).to_contain_text("INVOICE_REUSED")
    await assert_accessible(caseworker)

    await caseworker.get_by_label("Accorder").check()
    await caseworker.get_by_label(re.compile("Motif écrit")).fill("Facture vérifiée auprès du fournisseur.")
    await caseworker.get_by_role("button", name="Enregistrer la décision").click()
    await expect(caseworker.locator("main")).to_contain_text("une seconde personne, superviseur, doit l'approuver")
    await assert_accessible(caseworker)

    # She sees her decision waiting, without a button to approve it; posting the supervisors' form herself
    # (with her CSRF token) is refused all the same.
    await caseworker.goto(backoffice.url + PENDING_DECISIONS)
    mine = caseworker.locator("tr", has_text=fraud_case.reviewed)
    await expect(mine.get_by_role("button", name=re.compile("Approuver"))).to_have_count(0)
    await assert_accessible(caseworker)
    withdraw_path = await mine.locator("form[action$='/retirer']").get_attribute("action")
    assert withdraw_path, await mine.inner_html()
    own = await caseworker.request.post(
        backoffice.url + withdraw_path.removesuffix("/retirer") + "/seconder",
        form={"csrf_token": await csrf_token(caseworker)},
        max_redirects=0,
    )
    assert own.status == 403, (own.status, await own.text())
    assert "votre propre décision" in await own.text()

    supervisor = await as_role("supervisor")
    await supervisor.goto(backoffice.url + PENDING_DECISIONS)
    await assert_accessible(supervisor)
    row = supervisor.locator("tr", has_text=fraud_case.reviewed)
    await row.get_by_role("button", name=re.compile("Approuver")).click()
    await expect(supervisor.locator("main")).to_contain_text("Transmise au service eligibility")
    await expect(supervisor.locator("main")).to_contain_text(backoffice.login("supervisor"))

    status_topic = stack.topic("claims.status.v1")
    seen = await probe.read_until(status_topic, lambda rs: "payment_sent" in statuses(rs, fraud_case.reviewed))
    assert statuses(seen, fraud_case.reviewed)[-3:] == ["approved", "payment_scheduled", "payment_sent"]
    issued = await probe.read_until(
        stack.topic("payments.issued.v1"),
        lambda rs: any(json.loads(r.value)["claim_id"] == fraud_case.reviewed for r in rs),
    )
    instruction = next(v for v in (json.loads(r.value) for r in issued) if v["claim_id"] == fraud_case.reviewed)
    await probe.publish(stack.topic("payments.settlements.v1"), [settled(instruction)])
    seen = await probe.read_until(status_topic, lambda rs: "paid" in statuses(rs, fraud_case.reviewed))
    assert statuses(seen, fraud_case.reviewed)[-1] == "paid"

    # The back-office's own claim page says so and who decided; the audit trail, who seconded.
    await reload_until(caseworker, backoffice.url + claim_path(fraud_case.reviewed), "payée")
    await expect(caseworker.locator("main")).to_contain_text(f"Décidée par {backoffice.login('caseworker')}")
    auditor = await as_role("auditor")
    await auditor.goto(backoffice.url + f"/audit?action=decision_seconded&acteur={backoffice.login('supervisor')}")
    await expect(auditor.locator("tr", has_text=fraud_case.reviewed)).to_contain_text("decision_seconded")


# ------------------------------------------------------------------------------------------- audit trail


async def test_an_unmasked_view_appears_in_the_audit_trail(backoffice, as_role, fraud_case) -> None:
    caseworker = await as_role("caseworker")
    # The approved claim's applicant was e-mailed: its page has addresses to unmask.
    unmask = "Afficher les données personnelles"
    await reload_until(caseworker, backoffice.url + claim_path(fraud_case.original), unmask)
    await caseworker.get_by_role("button", name=unmask).click()
    await expect(caseworker.locator("main")).to_contain_text("consigné dans le journal d'audit")
    await expect(caseworker.locator("main")).to_contain_text("@example.fr")
    await assert_accessible(caseworker)

    auditor = await as_role("auditor")
    await auditor.goto(backoffice.url + "/audit")
    entry = auditor.locator("tr", has_text=f"claim:{fraud_case.original}")
    await expect(entry).to_have_count(1)
    await expect(entry).to_contain_text("personal_data_viewed")
    await expect(entry).to_contain_text(backoffice.login("caseworker"))
    await assert_accessible(auditor)


# ------------------------------------------------------------------------------------------- accessibility


@pytest.mark.parametrize("path", list(PAGES_BY_ROLE))
async def test_every_page_has_no_serious_accessibility_violation(backoffice, as_role, fraud_case, path) -> None:
    page = await as_role(PAGES_BY_ROLE[path])
    response = await page.goto(backoffice.url + path)
    assert response is not None and response.status == 200, (path, response and response.status)
    await assert_accessible(page)


async def test_a_dead_letter_page_has_no_serious_accessibility_violation(backoffice, as_role, poison) -> None:
    supervisor = await as_role("supervisor")
    await reload_until(supervisor, backoffice.url + "/lettres-mortes", "claims.submitted.v1")
    await supervisor.locator("tr", has_text="claims.submitted.v1").first.get_by_role("link").click()
    await expect(supervisor.get_by_role("heading", level=1)).to_contain_text("Lettre morte")
    await assert_accessible(supervisor)  # with its replay and discard forms
