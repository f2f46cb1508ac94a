"""Personal data is masked on every page unless a person asks to see it, and their asking is in the audit trail."""

from __future__ import annotations

from .conftest import Pages
from .pages_fakes import CSRF, EMAIL, IBAN, LETTER

UNMASK = {"csrf_token": CSRF}


def test_a_claims_emails_are_masked_by_default(pages: Pages) -> None:
    page = pages.client.get("/demandes/C-1", headers={"X-Role": "caseworker"}).text

    assert EMAIL not in page
    assert "j***@***.fr" in page
    assert "Afficher les données personnelles" in page
    assert pages.audit.rows == []


def test_unmasking_a_claim_shows_the_addresses_and_is_recorded(pages: Pages) -> None:
    response = pages.client.post("/demandes/C-1/donnees-personnelles", data=UNMASK, headers={"X-Role": "caseworker"})

    assert response.status_code == 200
    assert EMAIL in response.text
    assert pages.audit.rows == [
        {
            "actor": "caseworker-1",
            "action": "personal_data_viewed",
            "target": "claim:C-1",
            "details": {"page": "claim", "fields": ["email_recipients"]},
        }
    ]


def test_unmasking_is_refused_to_a_role_that_cannot_open_the_page(pages: Pages) -> None:
    response = pages.client.post("/demandes/C-1/donnees-personnelles", data=UNMASK, headers={"X-Role": "finance"})

    assert response.status_code == 403
    assert EMAIL not in response.text
    assert pages.audit.rows == []


def test_a_dead_letters_payload_is_masked_by_default(pages: Pages) -> None:
    page = pages.client.get(f"/lettres-mortes/{LETTER.id}", headers={"X-Role": "supervisor"}).text

    assert IBAN not in page and EMAIL not in page
    assert '"claim_id": "C-1"' in page.replace("&#34;", '"')
    assert pages.audit.rows == []


def test_unmasking_a_dead_letter_shows_its_payload_and_is_recorded(pages: Pages) -> None:
    response = pages.client.post(
        f"/lettres-mortes/{LETTER.id}/donnees-personnelles", data=UNMASK, headers={"X-Role": "supervisor"}
    )

    assert IBAN in response.text and EMAIL in response.text
    assert [(row["actor"], row["action"], row["target"]) for row in pages.audit.rows] == [
        ("supervisor-1", "personal_data_viewed", f"dead_letter:{LETTER.id}")
    ]


def test_a_sepa_file_downloads_as_an_attachment_and_is_recorded(pages: Pages) -> None:
    response = pages.client.get("/lots-sepa/B-1/fichier", headers={"X-Role": "finance"})

    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="pain001-B-1.xml"'
    assert response.headers["content-type"].startswith("application/xml")
    assert IBAN.encode() in response.content
    assert [(row["action"], row["target"]) for row in pages.audit.rows] == [("sepa_file_downloaded", "sepa_batch:B-1")]


def test_text_from_outside_is_escaped_not_obeyed(pages: Pages) -> None:
    page = pages.client.get("/demandes/C-1", headers={"X-Role": "caseworker"}).text

    assert "Votre demande &lt;b&gt;C-1&lt;/b&gt;" in page
    assert "<b>C-1</b>" not in page
