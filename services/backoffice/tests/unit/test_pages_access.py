"""Each page opens for the roles it serves and is refused to the others; signed out, everything leads to sign-in."""

from __future__ import annotations

import pytest

from guichet_backoffice.web.pages_common import home_path

from .conftest import Pages
from .pages_fakes import LETTER

ROLES = ("caseworker", "supervisor", "finance", "auditor", "admin")
LETTER_PATH = f"/lettres-mortes/{LETTER.id}"
# page -> the roles that open it (a supervisor holds a caseworker's pages too)
OPENS = {
    "/demandes/a-verifier": {"caseworker", "supervisor", "auditor"},
    "/demandes/C-1": {"caseworker", "supervisor", "auditor"},
    "/lettres-mortes": {"supervisor", "auditor"},
    LETTER_PATH: {"supervisor", "auditor"},
    "/mis-de-cote": {"supervisor", "auditor"},
    "/tableau-de-bord": set(ROLES),
    "/paiements": {"finance", "auditor"},
    "/lots-sepa": {"finance", "auditor"},
    "/lots-sepa/B-1/fichier": {"finance"},
    "/liste-d-attente": {"finance", "supervisor", "auditor"},
    "/budget": {"finance", "supervisor", "auditor"},
    "/controles": {"caseworker", "supervisor", "auditor"},
    "/reversements": {"caseworker", "supervisor", "finance", "auditor"},
}


@pytest.mark.parametrize("path", OPENS)
@pytest.mark.parametrize("role", ROLES)
def test_a_page_opens_only_for_its_roles(pages: Pages, path: str, role: str) -> None:
    response = pages.client.get(path, headers={"X-Role": role})

    assert response.status_code == (200 if role in OPENS[path] else 403), response.text[:300]
    if response.status_code == 403:
        assert "Accès refusé" in response.text


@pytest.mark.parametrize("path", OPENS)
def test_signed_out_every_page_leads_to_sign_in(pages: Pages, path: str) -> None:
    response = pages.client.get(path)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/connexion?suite=")


@pytest.mark.parametrize("role", ROLES)
def test_the_menu_shows_only_what_the_role_opens(pages: Pages, role: str) -> None:
    page = pages.client.get("/tableau-de-bord", headers={"X-Role": role}).text
    menu = page[page.index('<nav class="main-nav"') : page.index("</nav>")]

    for path, roles in OPENS.items():
        if path.count("/") == 1:  # the menu's pages, not a claim's or a letter's
            assert (f'href="{path}"' in menu) == (role in roles), (role, path)


def test_home_is_the_first_page_of_the_menu() -> None:
    assert home_path("finance") == "/tableau-de-bord"
    assert home_path("caseworker") == "/demandes/a-verifier"
    assert home_path("admin") == "/tableau-de-bord"
    assert home_path(None) is None


def test_only_deciders_see_the_decision_form(pages: Pages) -> None:
    for role, shown in (("caseworker", True), ("supervisor", True), ("auditor", False)):
        page = pages.client.get("/demandes/C-1", headers={"X-Role": role}).text
        assert ('action="/demandes/C-1/decision"' in page) == shown, role
    for role, shown in (("supervisor", True), ("auditor", False)):
        page = pages.client.get(LETTER_PATH, headers={"X-Role": role}).text
        assert ("/rejouer" in page and "/abandonner" in page) == shown, role


def test_forms_carry_the_csrf_token(pages: Pages) -> None:
    page = pages.client.get("/demandes/C-1", headers={"X-Role": "caseworker"}).text

    forms = page.count('<form method="post"')
    assert forms >= 2  # unmask and decide (and sign out)
    assert page.count('name="csrf_token" value="jeton-csrf-de-test"') == forms


def test_the_queue_passes_its_filters_and_says_when_one_is_wrong(pages: Pages) -> None:
    pages.client.get(
        "/demandes/a-verifier?programme=aide-numerique&code=iban_shared&age=7", headers={"X-Role": "caseworker"}
    )
    page = pages.client.get("/demandes/a-verifier?age=beaucoup", headers={"X-Role": "caseworker"}).text

    assert pages.read_model.calls[0] == (
        "review_queue",
        {"programme": "aide-numerique", "code": "IBAN_SHARED", "min_age_days": 7, "limit": 200},
    )
    assert pages.read_model.calls[1][1]["min_age_days"] is None
    assert 'role="alert"' in page and "nombre entier de jours" in page
    assert '<a href="/demandes/C-1">' in page


def test_filters_reach_the_read_model(pages: Pages) -> None:
    pages.client.get("/lettres-mortes?sujet=claims.submitted.v1", headers={"X-Role": "supervisor"})
    pages.client.get("/mis-de-cote?etat=all", headers={"X-Role": "supervisor"})
    pages.client.get("/paiements?statut=blocked&programme=aide-numerique", headers={"X-Role": "finance"})
    pages.client.get("/paiements?statut=nimporte", headers={"X-Role": "finance"})

    assert pages.read_model.calls == [
        ("dead_letters", {"topic": "claims.submitted.v1"}),
        ("set_aside_items", {"state": None}),
        ("payments", {"status": "blocked", "programme": "aide-numerique"}),
        ("payments", {"status": None, "programme": None}),
    ]


def test_an_unknown_claim_is_a_404_page(pages: Pages) -> None:
    response = pages.client.get("/demandes/C-404", headers={"X-Role": "caseworker"})

    assert response.status_code == 404
    assert "<h1>Introuvable</h1>" in response.text
